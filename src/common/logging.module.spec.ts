import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLineHook, requestLineLevel, type LoggedActor, type LoggedRequest } from './logging.module';

describe('request line level', () => {
  it('is info wherever info lines are written, silent (not built) where they would be dropped', () => {
    expect(['trace', 'debug', 'info'].map(requestLineLevel)).toEqual(['info', 'info', 'info']);
    expect(['warn', 'error', 'fatal', 'silent'].map(requestLineLevel)).toEqual(['silent', 'silent', 'silent', 'silent']);
  });
});

describe('requestLineHook', () => {
  const capture = () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    return { lines, root: () => logger };
  };
  const request = (url: string, principal?: LoggedActor): LoggedRequest => ({ id: 'req-1', method: 'POST', url, ip: '127.0.0.1', principal });

  it('is no hook at all where info is off', () => {
    expect(requestLineHook('warn', 'api')).toBeNull();
    expect(requestLineHook('silent', 'api')).toBeNull();
  });

  it('writes one line per response: the request, status, time, service and who; not the headers', () => {
    const { lines, root } = capture();
    const hook = requestLineHook('info', 'api', root);
    let done = 0;
    hook?.(request('/api/v1/terminal/redemptions?x=1', { kind: 'terminal', id: 't1', shopId: 's1' }), { statusCode: 201, elapsedTime: 3.4 }, () => done++);
    expect(done).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-1', method: 'POST', url: '/api/v1/terminal/redemptions?x=1', remoteAddress: '127.0.0.1' },
      res: { statusCode: 201 },
      responseTime: 3,
      service: 'api',
      terminal: { id: 't1', shopId: 's1' },
    });
    expect(Object.keys(lines[0].req as object).sort()).toEqual(['id', 'method', 'remoteAddress', 'url']);
  });

  it("a 5xx is 'request errored' with an err; probes and scrapes get no line", () => {
    const { lines, root } = capture();
    const hook = requestLineHook('debug', 'worker', root);
    hook?.(request('/api/v1/auth/me', { kind: 'staff', id: 'u1', role: 'auditor' }), { statusCode: 503, elapsedTime: 1 }, () => undefined);
    hook?.(request('/health/live'), { statusCode: 200, elapsedTime: 1 }, () => undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request errored', res: { statusCode: 503 }, err: { message: 'failed with status code 503' }, user: { id: 'u1', role: 'auditor' }, service: 'worker' });
  });
});

import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLineLevel, requestLineMiddleware, type LoggedActor, type LoggedRequest } from './logging.module';

describe('request line level', () => {
  it('is info wherever info lines are written, silent (not built) where they would be dropped', () => {
    expect(['trace', 'debug', 'info'].map(requestLineLevel)).toEqual(['info', 'info', 'info']);
    expect(['warn', 'error', 'fatal', 'silent'].map(requestLineLevel)).toEqual(['silent', 'silent', 'silent', 'silent']);
  });
});

describe('requestLineMiddleware', () => {
  const capture = () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    return { lines, root: () => logger };
  };
  const exchange = (url: string, principal?: LoggedActor) => {
    const req = Object.assign(new EventEmitter(), { id: 'req-1', method: 'POST', url, socket: { remoteAddress: '127.0.0.1' }, principal }) as unknown as LoggedRequest;
    const res = Object.assign(new EventEmitter(), { statusCode: 200 }) as unknown as ServerResponse;
    return { req, res };
  };

  it('is no middleware at all where info is off', () => {
    expect(requestLineMiddleware('warn', 'api')).toBeNull();
    expect(requestLineMiddleware('silent', 'api')).toBeNull();
  });

  it('writes one line when the response closes: the request, status, time, service and who; not the headers', () => {
    const { lines, root } = capture();
    const mw = requestLineMiddleware('info', 'api', root);
    const { req, res } = exchange('/api/v1/terminal/redemptions?x=1', { kind: 'terminal', id: 't1', shopId: 's1' });
    let nexted = 0;
    mw?.(req, res, () => nexted++);
    expect(nexted).toBe(1);
    expect(lines).toHaveLength(0);
    res.statusCode = 201;
    res.emit('close');
    res.emit('close');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-1', method: 'POST', url: '/api/v1/terminal/redemptions?x=1', remoteAddress: '127.0.0.1' },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
      service: 'api',
      terminal: { id: 't1', shopId: 's1' },
    });
    expect(Object.keys(lines[0].req as object).sort()).toEqual(['id', 'method', 'remoteAddress', 'url']);
  });

  it("a 5xx is 'request errored' with an err; probes and scrapes get no line", () => {
    const { lines, root } = capture();
    const mw = requestLineMiddleware('debug', 'worker', root);
    const failed = exchange('/api/v1/auth/me', { kind: 'staff', id: 'u1', role: 'auditor' });
    mw?.(failed.req, failed.res, () => undefined);
    failed.res.statusCode = 503;
    failed.res.emit('close');
    const probe = exchange('/health/live');
    mw?.(probe.req, probe.res, () => undefined);
    probe.res.emit('close');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request errored', res: { statusCode: 503 }, err: { message: 'failed with status code 503' }, user: { id: 'u1', role: 'auditor' }, service: 'worker' });
  });
});

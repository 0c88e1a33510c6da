import { describe, expect, it } from 'vitest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MetricsCollector } from './metrics-collector';
import { metricsHandler, metricsTokenMatches } from './metrics-http';

describe('metrics access', () => {
  it('the token must be sent as a Bearer header, exactly', () => {
    expect(metricsTokenMatches('Bearer abcdefghijklmnop', 'abcdefghijklmnop')).toBe(true);
    expect(metricsTokenMatches('bearer abcdefghijklmnop', 'abcdefghijklmnop')).toBe(true);
    for (const h of [undefined, '', 'abcdefghijklmnop', 'Bearer abcdefghijklmno', 'Bearer abcdefghijklmnopq', 'Basic abcdefghijklmnop']) {
      expect([h, metricsTokenMatches(h, 'abcdefghijklmnop')]).toEqual([h, false]);
    }
  });

  it('without METRICS_TOKEN there is no /metrics (404), and nothing is collected', async () => {
    let collected = false;
    const collector = { refresh: async () => void (collected = true) } as unknown as MetricsCollector;
    let status = 0;
    let body: { code?: string } = {};
    const res = { code: (s: number) => ((status = s), res), send: async (b: typeof body) => ((body = b), res) } as unknown as FastifyReply;
    await metricsHandler(undefined, collector)({ id: 'r1', headers: { authorization: 'Bearer anything-at-all-1234' } } as unknown as FastifyRequest, res);
    expect([status, body.code, collected]).toEqual([404, 'ROUTE.NOT_FOUND', false]);
  });
});

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { mergeProcessReports } from './cluster-metrics';

/** A registry as one api process has it: a counter, a histogram, and a gauge prom-client would omit when summing. */
function processRegistry(requests: number, startedAt: number): Registry {
  const r = new Registry();
  new Counter({ name: 't_requests_total', help: 'h', labelNames: ['route'], registers: [r] }).inc({ route: '/a' }, requests);
  const h = new Histogram({ name: 't_seconds', help: 'h', buckets: [0.1, 1], registers: [r] });
  for (let i = 0; i < requests; i++) h.observe(0.5);
  const g = new Gauge({ name: 't_start_time_seconds', help: 'h', registers: [r], aggregator: 'omit' });
  g.set(startedAt);
  return r;
}

describe('metrics of several api processes', () => {
  it('keeps every process’s series, labelled with its slot, in one valid exposition', async () => {
    const merged = mergeProcessReports([
      { slot: '0', metrics: await processRegistry(3, 100).getMetricsAsJSON() },
      { slot: '1', metrics: await processRegistry(5, 200).getMetricsAsJSON() },
    ]);
    const text = await merged.metrics();
    const lines = text.split('\n');
    expect(lines).toContain('t_requests_total{route="/a",api_process="0"} 3');
    expect(lines).toContain('t_requests_total{route="/a",api_process="1"} 5');
    expect(lines).toContain('t_seconds_bucket{le="1",api_process="1"} 5');
    expect(lines).toContain('t_seconds_count{api_process="0"} 3');
    // Not summed, averaged or dropped: each process's own value.
    expect(lines).toContain('t_start_time_seconds{api_process="0"} 100');
    expect(lines).toContain('t_start_time_seconds{api_process="1"} 200');
    // One HELP/TYPE per family, its samples together.
    expect(lines.filter((l) => l === '# TYPE t_requests_total counter')).toHaveLength(1);
  });
});

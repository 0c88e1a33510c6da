import cluster from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/**
 * /metrics with API_PROCESSES > 1. Every api process has its own counters, histograms and
 * process metrics, and a scrape reaches one of them (the primary hands connections round-robin),
 * so the process that answers asks the supervisor for every process's metrics (over the cluster
 * IPC channel) and answers with all of them, each series labelled `api_process` (the process's
 * slot, 0 … N−1; a replacement takes the slot of the process it replaces).
 *
 * Why labelled series and not sums (prom-client's AggregatorRegistry): a summed counter drops
 * when one process restarts, and Prometheus' rate() then counts the other processes' totals as
 * new increments; per process, a restart is an ordinary counter reset. Memory and event-loop lag
 * stay visible per process, and `sum without (api_process)` gives the totals.
 */
export const REPORT_REQUEST = 'xinyi:metrics:report-request';
export const REPORT = 'xinyi:metrics:report';
export const COLLECT = 'xinyi:metrics:collect';
export const COLLECTED = 'xinyi:metrics:collected';

/** How long the supervisor waits for the processes' reports: one that does not answer in time is left out of that scrape. */
export const REPORT_TIMEOUT_MS = 2_000;

type Metrics = Array<MetricObjectWithValues<MetricValue<string>>>;
export interface ProcessReport {
  slot: string;
  metrics: Metrics;
}

interface Message {
  type?: string;
  id?: number;
}

/** One registry holding every process's series, each value labelled with its process's slot. */
export function mergeProcessReports(reports: ProcessReport[]): Registry {
  const labelled = reports.map((r) =>
    r.metrics.map((m) => ({
      ...m,
      // Each value is one process's own: nothing to combine, every series kept (prom-client's
      // default aggregators would average, pick one or omit some, e.g. process_start_time).
      aggregator: 'sum' as const,
      values: m.values.map((v) => ({ ...v, labels: { ...v.labels, api_process: r.slot } })),
    })),
  );
  return AggregatorRegistry.aggregate(labelled as Metrics[]);
}

/** In an api process of the cluster: answer the supervisor's requests for this process's metrics. */
export function answerMetricReports(registry: Registry, slot: string): void {
  process.on('message', (msg: Message) => {
    if (msg?.type !== REPORT_REQUEST) return;
    void registry
      .getMetricsAsJSON()
      .then((metrics) => process.send?.({ type: REPORT, id: msg.id, slot, metrics }))
      .catch(() => process.send?.({ type: REPORT, id: msg.id, slot, metrics: [] }));
  });
}

let nextAsk = 0;

/**
 * In an api process of the cluster: every process's reports (this one's included), via the
 * supervisor. Without an answer in time, this process's own report alone.
 */
export function collectFromAllProcesses(own: () => Promise<ProcessReport>): Promise<{ reports: ProcessReport[]; configured: number }> {
  const id = nextAsk++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      void own().then((r) => resolve({ reports: [r], configured: 0 }));
    }, REPORT_TIMEOUT_MS + 1_000);
    const onMessage = (msg: Message & { reports?: ProcessReport[]; configured?: number }) => {
      if (msg?.type !== COLLECTED || msg.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve({ reports: msg.reports ?? [], configured: msg.configured ?? 0 });
    };
    process.on('message', onMessage);
    process.send?.({ type: COLLECT, id });
  });
}

/**
 * In the supervisor: relays a process's COLLECT to every connected api process and sends back
 * the reports that came within REPORT_TIMEOUT_MS.
 */
export function relayMetricReports(configured: number): void {
  let nextRequest = 0;
  const pending = new Map<number, { reports: ProcessReport[]; waiting: number; done: () => void }>();
  cluster.on('message', (worker, msg: Message & Partial<ProcessReport>) => {
    if (msg?.type === REPORT) {
      const p = pending.get(msg.id ?? -1);
      if (!p) return;
      p.reports.push({ slot: String(msg.slot), metrics: msg.metrics ?? [] });
      if (--p.waiting === 0) p.done();
      return;
    }
    if (msg?.type !== COLLECT) return;
    const requestId = nextRequest++;
    const targets = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected());
    const entry = {
      reports: [] as ProcessReport[],
      waiting: targets.length,
      done: () => {
        clearTimeout(timer);
        pending.delete(requestId);
        if (worker.isConnected()) worker.send({ type: COLLECTED, id: msg.id, configured, reports: entry.reports.sort((a, b) => Number(a.slot) - Number(b.slot)) });
      },
    };
    const timer = setTimeout(entry.done, REPORT_TIMEOUT_MS);
    pending.set(requestId, entry);
    for (const w of targets) w?.send({ type: REPORT_REQUEST, id: requestId });
    if (targets.length === 0) entry.done();
  });
}

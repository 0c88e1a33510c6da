import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@app/common/errors/app-error';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import { Gauge, Registry } from 'prom-client';
import type { MetricsCollector } from './metrics-collector';
import { httpRequestDuration, registry, renderMetrics } from './metrics';
import { collectFromAllProcesses, mergeProcessReports } from './cluster-metrics';

/**
 * Times every request (Fastify's own `elapsedTime`, from the request's arrival), labelled by the
 * route template Fastify matched (never the raw URL, so ids do not explode the series), or
 * `(unmatched)`.
 */
export function httpMetricsHooks(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = req.is404 ? undefined : req.routeOptions.url;
    httpRequestDuration.observe({ method: req.method, route: route ?? '(unmatched)', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}

/** True when `header` is `Bearer <token>`; compared in constant time. */
export function metricsTokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * GET /metrics in Prometheus text format, for a scraper that sends `Authorization: Bearer
 * <METRICS_TOKEN>`. Without METRICS_TOKEN the endpoint does not exist (404): metrics name
 * routes, volumes and backlogs, which are not for the public.
 */
export function metricsHandler(token: string | undefined, collector: MetricsCollector, processSlot: string | null = null) {
  const filter = new GlobalExceptionFilter();
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refuse = async (err: AppError) => {
      const body = filter.toBody(err, req.id);
      await reply.code(body.statusCode).send(body);
    };
    if (!token) return refuse(new AppError('ROUTE.NOT_FOUND'));
    if (!metricsTokenMatches(req.headers.authorization, token)) return refuse(new AppError('AUTH.UNAUTHENTICATED'));
    await collector.refresh();
    await reply.type(registry.contentType).send(processSlot === null ? await renderMetrics() : await clusterMetrics(processSlot));
  };
}

/**
 * With several api processes (./cluster-metrics.ts): every process's series labelled with its
 * slot, the service gauges once, and how many processes answered.
 */
async function clusterMetrics(slot: string): Promise<string> {
  const { reports, configured } = await collectFromAllProcesses(async () => ({ slot, metrics: await registry.getMetricsAsJSON() }));
  const merged = mergeProcessReports(reports);
  const counts = new Registry();
  const processes = new Gauge({ name: 'xinyi_api_processes', help: 'api processes: configured (API_PROCESSES), reporting (answered this scrape)', labelNames: ['state'] as const, registers: [counts] });
  processes.set({ state: 'configured' }, configured);
  processes.set({ state: 'reporting' }, reports.length);
  return `${await renderMetrics(merged)}${await counts.metrics()}`;
}

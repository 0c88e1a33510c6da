import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '@app/config/app-config';
import { JobWorkerService } from '@app/queue/job-worker.service';
import { MetricsCollector } from './metrics-collector';
import { metricsTokenMatches } from './metrics-http';
import { registry, renderMetrics } from './metrics';

/**
 * The worker has no HTTP api; with METRICS_PORT set it listens there (on HOST) for
 *   GET /metrics      its own metrics (job durations, queues, pool), Bearer METRICS_TOKEN
 *   GET /health/live  200 while its BullMQ workers run, else 503 (the container health check)
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly collector: MetricsCollector,
    private readonly workers: JobWorkerService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.get('METRICS_PORT');
    if (port === undefined) return;
    const token = this.config.get('METRICS_TOKEN');
    this.server = createServer((req, res) => {
      const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method === 'GET' && req.url === '/health/live') {
        const running = this.workers.running();
        return reply(running ? 200 : 503, { status: running ? 'ok' : 'error', workers: running ? 'running' : 'stopped' });
      }
      if (req.method === 'GET' && req.url === '/metrics') {
        if (!token) return reply(404, { statusCode: 404, code: 'ROUTE.NOT_FOUND', message: '接口不存在 / no such route (set METRICS_TOKEN)' });
        if (!metricsTokenMatches(req.headers.authorization, token)) return reply(401, { statusCode: 401, code: 'AUTH.UNAUTHENTICATED', message: '需要登录 / authentication required' });
        void this.collector
          .refresh()
          .then(() => renderMetrics())
          .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
          .catch(() => reply(500, { statusCode: 500, code: 'INTERNAL.ERROR', message: '服务器内部错误 / internal error' }));
        return;
      }
      reply(404, { statusCode: 404, code: 'ROUTE.NOT_FOUND', message: '接口不存在 / no such route' });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, this.config.get('HOST'), () => resolve());
    });
    const { address, port: bound } = this.server.address() as AddressInfo;
    this.logger.log(`worker metrics listening on http://${address}:${bound} (/metrics, /health/live)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

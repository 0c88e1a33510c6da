import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { json, type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { AppError } from '@app/common/errors/app-error';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import { refuseDeepJson } from '@app/common/http/json-depth';
import { requestLineMiddleware } from '@app/common/logging.module';
import { assignRequestId } from '@app/common/http/request-id';
import { AppConfig } from '@app/config/app-config';
import { parseTrustProxy } from '@app/config/trust-proxy';
import { mountConsole } from '@app/console/serve-console';
import { mountResidentPage } from '@app/resident/serve-resident-page';
import { buildOpenApiDocument } from '@app/openapi/document';
import { MetricsCollector } from '@app/metrics/metrics-collector';
import { httpMetricsMiddleware, metricsHandler } from '@app/metrics/metrics-http';
import { answerMetricReports } from '@app/metrics/cluster-metrics';
import { registry } from '@app/metrics/metrics';
import { apiProcessSlot } from './api-cluster';
import { mountQueueDashboard } from '@app/queue/queue-dashboard';

export const API_PREFIX = 'api/v1';

/**
 * Everything about the HTTP app that is not a module: used by main.ts and by the tests, so the
 * tests exercise the same prefix, body limit, headers and docs as production.
 */
export function configureHttpApp(app: NestExpressApplication): void {
  const config = app.get(AppConfig);
  app.use((req: Request, res: Response, next: NextFunction) => {
    assignRequestId(req as unknown as Parameters<typeof assignRequestId>[0], res);
    next();
  });
  app.use(httpMetricsMiddleware);
  const requestLine = requestLineMiddleware(config.get('LOG_LEVEL'), config.get('XINYI_PROCESS'));
  if (requestLine) app.use(requestLine);
  // Outside Nest's router (like /admin/queues): its own token, and not in the OpenAPI document.
  // One of several api processes (API_PROCESSES > 1): a scrape answers for all of them.
  const slot = apiProcessSlot();
  if (slot !== null) answerMetricReports(registry, slot);
  (app.getHttpAdapter().getInstance() as Express).get('/metrics', metricsHandler(config.get('METRICS_TOKEN'), app.get(MetricsCollector), slot));
  applyGlobalPrefix(app);
  mountQueueDashboard(app);
  // The depth check runs on the raw bytes, before JSON.parse and before any pipe sees the value.
  // express.json itself, since Nest's useBodyParser reserves `verify` for its rawBody option.
  app.use(json({ limit: config.get('BODY_LIMIT'), verify: refuseDeepJson }));
  app.useBodyParser('urlencoded', { limit: config.get('BODY_LIMIT'), extended: false });
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
      },
    }),
  );
  mountConsole(app);
  mountResidentPage(app);
  // Validated at boot (src/config/trust-proxy.ts); decides the client address rate limits see.
  app.set('trust proxy', parseTrustProxy(config.get('TRUST_PROXY')));
  app.set('x-powered-by', false);
  setupOpenApi(app);
  app.enableShutdownHooks();
}

/**
 * `/api/v1` for everything but the health probes and the residents' public pages (/board/…,
 * the addresses printed on the board: pages, not API); the OpenAPI generator applies it too.
 */
export function applyGlobalPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['health', 'health/live', 'health/ready', 'board/:town/:village/:period', 'board/:town/:village/:period/objection'],
  });
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

/**
 * After init: Nest answers unknown routes under the prefix itself; anything else (e.g. `/nope`)
 * would reach Express's HTML 404, so answer it with the one error shape too.
 */
export async function initHttpApp(app: NestExpressApplication): Promise<void> {
  await app.init();
  const filter = new GlobalExceptionFilter();
  app.use((req: Request & { id?: string }, res: Response) => {
    const body = filter.toBody(new AppError('ROUTE.NOT_FOUND'), String(req.id ?? ''));
    res.status(body.statusCode).json(body);
  });
}

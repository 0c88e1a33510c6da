import type { IncomingMessage } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import formBody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { installJsonParser } from '@app/common/http/json-body';
import { addSecurityHeaders } from '@app/common/http/security-headers';
import { requestIdOf } from '@app/common/http/request-id';
import { requestLineHook } from '@app/common/logging.module';
import { AppConfig } from '@app/config/app-config';
import { validateEnv } from '@app/config/env.schema';
import { parseTrustProxy } from '@app/config/trust-proxy';
import { mountConsole } from '@app/console/serve-console';
import { mountResidentPage } from '@app/resident/serve-resident-page';
import { buildOpenApiDocument } from '@app/openapi/document';
import { MetricsCollector } from '@app/metrics/metrics-collector';
import { httpMetricsHooks, metricsHandler } from '@app/metrics/metrics-http';
import { answerMetricReports } from '@app/metrics/cluster-metrics';
import { registry } from '@app/metrics/metrics';
import { apiProcessSlot } from './api-cluster';
import { mountQueueDashboard } from '@app/queue/queue-dashboard';

export const API_PREFIX = 'api/v1';

/** BODY_LIMIT (`256kb`, `1mb`: validated at boot) in bytes. */
function bodyLimitBytes(limit: string): number {
  const m = /^(\d+)(kb|mb)$/.exec(limit);
  if (!m) throw new Error(`BODY_LIMIT ${limit}: like 256kb or 1mb`);
  return Number(m[1]) * (m[2] === 'mb' ? 1024 * 1024 : 1024);
}

/**
 * The HTTP adapter: Fastify (docs/PERFORMANCE.md "Express or Fastify": Express's own pipeline cost ≈ 0.15 ms
 * of CPU per request more). What Express did by default that the api relies on is asked for
 * here: routes match with or without a trailing slash; long path parameters reach validation
 * (a 400 naming the field, not the router's 414); the request id is ours (requestIdOf:
 * a sane `x-request-id` is kept); the client address follows TRUST_PROXY.
 */
export function createHttpAdapter(raw: Record<string, unknown> = process.env): FastifyAdapter {
  const env = validateEnv(raw);
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (trustProxy === null) throw new Error(`TRUST_PROXY ${env.TRUST_PROXY} is not valid`);
  return new FastifyAdapter({
    // A hop count is taken as Fastify takes it (the address that many hops back), though its types say otherwise.
    trustProxy: trustProxy as boolean | string[],
    bodyLimit: bodyLimitBytes(env.BODY_LIMIT),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    genReqId: (req: IncomingMessage) => requestIdOf(req.headers['x-request-id']),
    requestIdHeader: false,
    // Uploads are one file of at most UPLOAD_MAX_BYTES (the interceptors' own limits, per module).
    multipart: { limits: { fileSize: env.UPLOAD_MAX_BYTES, files: 1, fields: 10 } },
  });
}

/**
 * Everything about the HTTP app that is not a module: used by main.ts and by the tests, so the
 * tests exercise the same prefix, body limit, headers and docs as production.
 */
export async function configureHttpApp(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // What the guards put on a request (the staff user or terminal, the resident of a phone-page
  // token), declared up front as Fastify asks: every request object then has the same shape.
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('resident', null);
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', req.id);
    done();
  });
  httpMetricsHooks(fastify);
  const requestLine = requestLineHook(config.get('LOG_LEVEL'), config.get('XINYI_PROCESS'));
  if (requestLine) fastify.addHook('onResponse', requestLine);
  // Outside Nest's router (like /admin/queues): its own token, and not in the OpenAPI document.
  // One of several api processes (API_PROCESSES > 1): a scrape answers for all of them.
  const slot = apiProcessSlot();
  if (slot !== null) answerMetricReports(registry, slot);
  fastify.get('/metrics', metricsHandler(config.get('METRICS_TOKEN'), app.get(MetricsCollector), slot));
  applyGlobalPrefix(app);
  await mountQueueDashboard(app);
  // The depth check runs on the raw bytes, before JSON.parse and before any pipe sees the value.
  installJsonParser(fastify);
  // Form posts (the objection page without JavaScript), within the instance's bodyLimit as JSON is.
  await app.register(formBody as never);
  addSecurityHeaders(fastify);
  await mountConsole(app);
  await mountResidentPage(app);
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
 * Init, then wait for Fastify's plugins: the server answers only once everything is registered.
 * Nest answers unknown routes (any path) through the exception filters: the one error shape.
 */
export async function initHttpApp(app: NestFastifyApplication): Promise<void> {
  await app.init();
  await (app.getHttpAdapter().getInstance() as unknown as FastifyInstance).ready();
}

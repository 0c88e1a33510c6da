import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '@app/common/errors/app-error';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import type { MetricsCollector } from './metrics-collector';
import { httpRequestDuration, registry } from './metrics';

/**
 * Times every request, labelled by the route template Express matched (never the raw URL, so
 * ids do not explode the series), or `(unmatched)`.
 */
export function httpMetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
  const end = httpRequestDuration.startTimer();
  res.once('finish', () => {
    const route = req.route?.path ? `${req.baseUrl ?? ''}${String(req.route.path)}` : '(unmatched)';
    end({ method: req.method, route, status: String(res.statusCode) });
  });
  next();
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
export function metricsHandler(token: string | undefined, collector: MetricsCollector) {
  const filter = new GlobalExceptionFilter();
  return async (req: Request, res: Response): Promise<void> => {
    const refuse = (err: AppError) => {
      const body = filter.toBody(err, String((req as Request & { id?: string }).id ?? ''));
      res.status(body.statusCode).json(body);
    };
    if (!token) return refuse(new AppError('ROUTE.NOT_FOUND'));
    if (!metricsTokenMatches(req.headers.authorization, token)) return refuse(new AppError('AUTH.UNAUTHENTICATED'));
    await collector.refresh();
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  };
}

import { Module } from '@nestjs/common';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { levels, type Logger } from 'pino';
import { AppConfig } from '@app/config/app-config';
import { logStream } from './log-destination';

/** Probes and scrapes that would drown the request log. */
const UNLOGGED = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * What a request's log line says of who made it: the least of the auth guard's principal that
 * logging needs, declared here so `common/` does not import `auth/` (the principal satisfies it
 * as it is).
 */
export type LoggedActor = { kind: 'staff'; id: string; role: string } | { kind: 'terminal'; id: string; shopId: string };

/**
 * Who made the request, for its log line: the staff user and role, or the terminal and its
 * shop; nothing for public requests. Set by the auth guard on the request.
 */
export function actorOf(req: { principal?: LoggedActor }): Record<string, unknown> {
  const p = req.principal;
  if (!p) return {};
  return p.kind === 'staff' ? { user: { id: p.id, role: p.role } } : { terminal: { id: p.id, shopId: p.shopId } };
}

/**
 * Whether request lines are written: they are `info` lines, so not where `info` is off
 * (production runs at warn). Then nothing is done per request for them at all.
 */
export function requestLineLevel(logLevel: string): 'info' | 'silent' {
  // pino's level numbers; 'silent' is not among them (it is above every level).
  const value = logLevel === 'silent' ? Infinity : (levels.values[logLevel] ?? levels.values.info);
  return value <= levels.values.info ? 'info' : 'silent';
}

/** What the request line reads of a request: Fastify's request, with the auth guard's principal. */
export interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  ip: string;
  principal?: LoggedActor;
}

/** The request line's own fields are written as they are: no serializer (pino-http's std ones would rebuild them). */
const AS_IS = { serializers: { req: (v: unknown) => v, res: (v: unknown) => v } };

/**
 * The request line, one per response, as pino-http wrote it: what identifies the request
 * (`req`: id, method, URL, client address; `res`: status; `responseTime` in ms; `service`; who,
 * `user {id, role}` or `terminal {id, shopId}`), not the headers (with them a line was ≈ 1.6 KB,
 * most of it the CSP); 'request errored' with an `err` for a 5xx. Without what pino-http did on
 * every request whether a line was written or not: three child loggers with the request
 * serialized into their bindings, and nestjs-pino's AsyncLocalStorage context around the rest of
 * the request. That was ≈ 0.2 ms of the api's CPU per request, 15 % of a redemption (docs/PERFORMANCE.md "The
 * request line without pino-http"). A Fastify `onResponse` hook; null when request lines are
 * off: no hook at all.
 *
 * A log line written while handling a request names it by `requestId` itself (the error filters,
 * refused logins): there is no request context to take it from.
 */
export function requestLineHook(
  logLevel: string,
  service: string,
  // The app's one pino logger (nestjs-pino builds it with the options of LoggingModule).
  root: () => Logger = () => PinoLogger.root,
): ((req: LoggedRequest, reply: { statusCode: number; elapsedTime: number }, done: () => void) => void) | null {
  if (requestLineLevel(logLevel) === 'silent') return null;
  let log: Logger | undefined;
  return (req, reply, done) => {
    if (!UNLOGGED.has(req.url)) {
      log ??= root().child({}, AS_IS);
      const line = {
        req: { id: req.id, method: req.method, url: req.url, remoteAddress: req.ip },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime),
        service,
        ...actorOf(req),
      };
      if (reply.statusCode >= 500) log.info({ ...line, err: new Error(`failed with status code ${reply.statusCode}`) }, 'request errored');
      else log.info(line, 'request completed');
    }
    done();
  };
}

/**
 * pino logs (JSON; pretty in development). nestjs-pino gives Nest's Logger to pino; its
 * per-request middleware is not mounted (`forRoutes: []`): request lines come from
 * requestLineHook, which bootstrap.ts adds.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => ({
        forRoutes: [],
        pinoHttp: [{ level: config.get('LOG_LEVEL') }, await logStream(config.get('LOG_FORMAT'))],
      }),
    }),
  ],
})
export class LoggingModule {}

import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { levels } from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId } from '@app/common/http/request-id';
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
export function actorOf(req: IncomingMessage & { principal?: LoggedActor }): Record<string, unknown> {
  const p = req.principal;
  if (!p) return {};
  return p.kind === 'staff' ? { user: { id: p.id, role: p.role } } : { terminal: { id: p.id, shopId: p.shopId } };
}

/**
 * A request line is what identifies the request: method, URL, client address, status, time,
 * and who. Not the headers: with them every line was ≈ 1.6 KB, most of it the CSP.
 */
export const requestLogSerializers = {
  req: (r: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({ id: r.id, method: r.method, url: r.url, remoteAddress: r.remoteAddress }),
  res: (r: { statusCode?: number }) => ({ statusCode: r.statusCode }),
};


/**
 * The level of the request line: pino-http writes it at `info` whatever the outcome. When `info`
 * is off (production runs at warn), 'silent' tells pino-http so before it builds the line (a
 * child logger with the request's bindings per response, for nothing): the same lines come out,
 * with less work per request.
 */
export function requestLineLevel(logLevel: string): 'info' | 'silent' {
  // pino's level numbers; 'silent' is not among them (it is above every level).
  const value = logLevel === 'silent' ? Infinity : (levels.values[logLevel] ?? levels.values.info);
  return value <= levels.values.info ? 'info' : 'silent';
}

/** pino logs (JSON; pretty in development); every line of a request carries its id (x-request-id if sane). */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => ({
        pinoHttp: [
          {
            level: config.get('LOG_LEVEL'),
            genReqId: assignRequestId,
            serializers: requestLogSerializers,
            autoLogging: { ignore: (req: IncomingMessage) => UNLOGGED.has(req.url ?? '') },
            customLogLevel: ((level) => () => level)(requestLineLevel(config.get('LOG_LEVEL'))),
            customProps: (req: IncomingMessage, _res: ServerResponse) => ({ service: config.get('XINYI_PROCESS'), ...actorOf(req) }),
          },
          await logStream(config.get('LOG_FORMAT')),
        ],
      }),
    }),
  ],
})
export class LoggingModule {}

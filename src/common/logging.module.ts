import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { assignRequestId } from '@app/common/http/request-id';
import { AppConfig } from '@app/config/app-config';
import { logDestination } from './log-destination';

/** Probes and scrapes that would drown the request log. */
const UNLOGGED = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/** pino JSON logs; every line of a request carries its id (taken from x-request-id if sane). */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: [
          {
          level: config.get('LOG_LEVEL'),
          genReqId: assignRequestId,
          redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
          autoLogging: { ignore: (req: IncomingMessage) => UNLOGGED.has(req.url ?? '') },
          customProps: () => ({ service: process.env.XINYI_PROCESS ?? 'api' }),
          },
          logDestination,
        ],
      }),
    }),
  ],
})
export class LoggingModule {}

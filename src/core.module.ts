import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import { LoggingModule } from '@app/common/logging.module';
import { createValidationPipe } from '@app/common/http/validation';
import { AppConfigModule } from '@app/config/config.module';
import { DatabaseModule } from '@app/database/database.module';
import { MetricsModule } from '@app/metrics/metrics.module';
import { QueueModule } from '@app/queue/queue.module';
import { SharedStateModule } from '@app/shared-state/shared-state.module';

/** What both processes share: config, logs, PostgreSQL, queues, shared state in Redis, the error shape and validation. */
@Module({
  imports: [AppConfigModule, LoggingModule, DatabaseModule, QueueModule, SharedStateModule, MetricsModule],
  providers: [
    { provide: APP_FILTER, useClass: GlobalExceptionFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
})
export class CoreModule {}

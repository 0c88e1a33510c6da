import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@app/config/app-config';
import { QUEUE_NAMES } from './jobs';
import { JobQueue } from './job-queue.service';
import { JobSchedulers } from './job-schedulers.service';
import { redisOptionsFromUrl } from './redis-options';

@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        prefix: config.get('QUEUE_PREFIX'),
        // Producers fail fast while Redis is down (JobQueue then relies on reconcile) instead of
        // buffering commands in memory and hanging the request.
        connection: { ...redisOptionsFromUrl(config.get('REDIS_URL')), enableOfflineQueue: false },
      }),
    }),
    ...QUEUE_NAMES.map((name) => BullModule.registerQueue({ name })),
  ],
  // JobSchedulers installs the schedulers only in the worker (XINYI_PROCESS); tests call it directly.
  providers: [JobQueue, JobSchedulers],
  exports: [JobQueue, JobSchedulers, BullModule],
})
export class QueueModule {}

import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@app/config/app-config';
import { QUEUE_NAMES } from './jobs';
import { JobQueue } from './job-queue.service';
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
  providers: [JobQueue],
  exports: [JobQueue, BullModule],
})
export class QueueModule {}

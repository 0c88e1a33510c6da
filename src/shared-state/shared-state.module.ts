import { Global, Module } from '@nestjs/common';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { SharedRedis } from './shared-redis';

/** State that every api and worker process must see the same (docs/ARCHITECTURE.md, "Scaling out"). */
@Global()
@Module({
  providers: [SharedRedis, RedisThrottlerStorage],
  exports: [SharedRedis, RedisThrottlerStorage],
})
export class SharedStateModule {}

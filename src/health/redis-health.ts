import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import IORedis from 'ioredis';
import { AppConfig } from '@app/config/app-config';
import { redisOptionsFromUrl } from '@app/queue/redis-options';

const PING_TIMEOUT_MS = 1000;

/** Pings Redis on a connection of its own, so a dead queue connection cannot hide the truth. */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private readonly client: IORedis;

  constructor(
    config: AppConfig,
    private readonly indicator: HealthIndicatorService,
  ) {
    this.client = new IORedis({
      ...redisOptionsFromUrl(config.get('REDIS_URL')),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: PING_TIMEOUT_MS,
      retryStrategy: () => 1000,
    });
    this.client.on('error', () => undefined);
  }

  async isHealthy(key: string) {
    const check = this.indicator.check(key);
    try {
      if (this.client.status === 'wait') await this.client.connect().catch(() => undefined);
      const pong = await Promise.race([
        this.client.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS)),
      ]);
      return pong === 'PONG' ? check.up() : check.down({ message: `unexpected reply ${String(pong)}` });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }
}

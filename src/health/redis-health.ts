import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import IORedis from 'ioredis';
import { AppConfig } from '@app/config/app-config';
import { redisOptionsFromUrl } from '@app/queue/redis-options';

const PING_TIMEOUT_MS = 1000;

/** Pings Redis on a connection of its own, so a dead queue connection cannot hide the truth. */
@Injectable()
export class RedisHealthIndicator implements OnModuleInit, OnModuleDestroy {
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

  /** Connect at start, without waiting: the api starts (and serves) with Redis down too. */
  onModuleInit(): void {
    this.client.connect().catch(() => undefined);
  }

  async isHealthy(key: string) {
    const check = this.indicator.check(key);
    try {
      await this.untilReady(PING_TIMEOUT_MS);
      const pong = await Promise.race([
        this.client.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS)),
      ]);
      return pong === 'PONG' ? check.up() : check.down({ message: `unexpected reply ${String(pong)}` });
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  /**
   * A check that arrives while the connection is still being made waits for it (up to `ms`)
   * instead of pinging at once: with the offline queue off, that ping failed ("Stream isn't
   * writeable"), so /health said Redis was down in the first moments after "listening" (3 of 5
   * parallel checks right after start did).
   */
  private async untilReady(ms: number): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'wait' || this.client.status === 'end') this.client.connect().catch(() => undefined);
    let onReady: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        onReady = resolve;
        this.client.once('ready', onReady);
      }),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
    if (onReady) this.client.off('ready', onReady);
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }
}

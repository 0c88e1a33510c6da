import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import IORedis from 'ioredis';
import { AppConfig } from '@app/config/app-config';
import { redisOptionsFromUrl } from '@app/queue/redis-options';

/** How long a shared-state command may take before the caller falls back to what it knows locally. */
export const SHARED_STATE_TIMEOUT_MS = 250;
const STARTUP_WAIT_MS = 2_000;

/**
 * One Redis connection per process for state that several api and worker processes must agree on
 * (rate-limit counters, board cache generations). Every command either answers within
 * SHARED_STATE_TIMEOUT_MS or the caller gets `undefined` and uses its in-process fallback: the api
 * keeps serving with Redis down (DESIGN.md §5), it only stops sharing these counters.
 */
@Injectable()
export class SharedRedis implements OnModuleInit, OnModuleDestroy {
  readonly client: IORedis;
  /** Keys live under the queue prefix, so two deployments (or test runs) on one Redis stay apart. */
  readonly prefix: string;

  constructor(config: AppConfig) {
    this.prefix = `${config.get('QUEUE_PREFIX')}:shared`;
    this.client = new IORedis({
      ...redisOptionsFromUrl(config.get('REDIS_URL')),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: () => 500,
    });
    this.client.on('error', () => undefined);
  }

  /**
   * Connects before the app serves (at most STARTUP_WAIT_MS; Redis down at start does not hold the
   * api up): a request answered from the in-process fallback while the connection was still being
   * made, and counted again in Redis once it was up, let a limit through twice at start.
   */
  async onModuleInit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.connect().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STARTUP_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Runs one command; `undefined` when Redis is not connected, fails or is slower than the timeout. */
  async run<T>(command: (client: IORedis) => Promise<T>): Promise<T | undefined> {
    if (this.client.status !== 'ready') return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command(this.client),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), SHARED_STATE_TIMEOUT_MS);
        }),
      ]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

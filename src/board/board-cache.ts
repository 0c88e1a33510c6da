import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config/app-config';
import { ReadReplica } from '@app/database/read-replica';
import { SharedRedis } from '@app/shared-state/shared-redis';
import type { PageBody } from './rendered-body';

/** Generation keys outlive any cached copy by far; they only need to stop growing forever. */
const GENERATION_TTL_S = 90 * 24 * 3600;
/** A bound in boards, not bytes: 64 large boards are ~64 MB (+ their gzip, ~10 % of that). */
const MAX_BOARDS = 64;

interface Cached {
  until: number;
  /** The village-period's generation when this copy was loaded; null if Redis did not answer. */
  generation: string | null;
  value: Promise<PageBody>;
}

/**
 * Rendered boards (JSON and HTML) kept in each process for BOARD_CACHE_MS, and dropped in EVERY
 * process at once when one of them changes what a board shows: a write bumps the village-period's
 * generation in Redis (after its commit), and a cached copy is served only while its generation is
 * still the current one. That costs one Redis GET per board request, against a render of up to
 * ~1 MB. A change made by the worker (finalize, late postings) or by another api process is seen on
 * the next request, not BOARD_CACHE_MS later. While Redis is unreachable the copies live out their
 * BOARD_CACHE_MS as before (per process), and the board still answers.
 */
@Injectable()
export class BoardCache {
  private readonly entries = new Map<string, Cached>();
  private readonly ttlMs: number;

  constructor(
    private readonly redis: SharedRedis,
    private readonly replica: ReadReplica,
    config: AppConfig,
  ) {
    this.ttlMs = config.get('BOARD_CACHE_MS');
  }

  /** `variant`: what else the rendering depends on (the base address its QR codes carry). */
  async get(kind: 'json' | 'html', villageId: string, period: string, load: () => Promise<PageBody>, variant = ''): Promise<PageBody> {
    if (this.ttlMs <= 0) return load();
    const key = `${kind}:${villageId}:${period}|${variant}`;
    const generation = await this.generation(villageId, period);
    const hit = this.entries.get(key);
    if (hit && hit.until > Date.now() && (generation === undefined || hit.generation === generation)) return hit.value;
    if (!hit && this.entries.size >= MAX_BOARDS) this.makeRoom();
    const value = load();
    this.entries.set(key, { until: Date.now() + this.ttlMs, generation: generation ?? null, value });
    // A failed load is not remembered: the next caller tries again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** After the commit of a write that changes the board: this process and every other one reload it. */
  async invalidate(villageId: string, period: string): Promise<void> {
    for (const kind of ['json', 'html']) {
      const prefix = `${kind}:${villageId}:${period}|`;
      for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
    }
    // First the position a standby must have replayed, then the generation that makes readers reload.
    await this.replica.noteBoardChange(villageId, period);
    const key = this.generationKey(villageId, period);
    await this.redis.run((c) => c.multi().incr(key).expire(key, GENERATION_TTL_S).exec());
  }

  private async generation(villageId: string, period: string): Promise<string | undefined> {
    const value = await this.redis.run((c) => c.get(this.generationKey(villageId, period)));
    return value === undefined ? undefined : (value ?? '0');
  }

  private generationKey(villageId: string, period: string): string {
    return this.redis.key('board-generation', villageId, period);
  }

  private makeRoom(): void {
    const now = Date.now();
    for (const [k, v] of this.entries) if (v.until <= now) this.entries.delete(k);
    // Still full: drop the oldest (Map keeps insertion order).
    if (this.entries.size >= MAX_BOARDS) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/**
 * A small in-process cache with a lifetime per entry and a size bound: for answers that may
 * be a few seconds stale by design (the public board already says `max-age=60`). Concurrent
 * misses on one key share the same pending load instead of all computing it.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { until: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 500,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    if (this.ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    if (this.entries.size >= this.maxEntries) this.makeRoom();
    const value = load();
    this.entries.set(key, { until: this.now() + this.ttlMs, value });
    // A failed load is not remembered: the next caller tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /** Forgets one key at once (a change this process made and must not serve stale). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Expired entries go first; if none had, the oldest one (Map keeps insertion order). */
  private makeRoom(): void {
    const now = this.now();
    for (const [key, e] of this.entries) if (e.until <= now) this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

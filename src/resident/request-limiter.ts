/**
 * A fixed-window counter per key (client address, token hash), in this process's memory: the
 * resident page's requests per minute. Behind several api replicas each counts its own, as the
 * login and objection limits do (docs/ARCHITECTURE.md, "Scaling out"). Bounded: when full, the
 * expired windows go first, then the oldest.
 */
export class RequestLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one request for `key`; false when the key is over its limit in this window. */
  take(key: string, now = Date.now()): boolean {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (!w && this.windows.size >= this.maxKeys) this.evict(now);
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count <= this.limit;
  }

  private evict(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Map keeps insertion order: the first key is the oldest window.
    while (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
  }
}

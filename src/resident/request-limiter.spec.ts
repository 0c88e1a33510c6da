import { describe, expect, it } from 'vitest';
import { RequestLimiter } from './request-limiter';

describe('RequestLimiter', () => {
  it('allows `limit` requests per window per key, then refuses until the window ends', () => {
    const l = new RequestLimiter(3, 1000);
    expect([l.take('a', 0), l.take('a', 10), l.take('a', 20), l.take('a', 30)]).toEqual([true, true, true, false]);
    expect(l.take('b', 30)).toBe(true);
    expect(l.take('a', 999)).toBe(false);
    expect(l.take('a', 1000)).toBe(true);
  });

  it('stays bounded, forgetting the oldest windows first', () => {
    const l = new RequestLimiter(1, 1000, 2);
    expect(l.take('a', 0)).toBe(true);
    expect(l.take('b', 1)).toBe(true);
    expect(l.take('c', 2)).toBe(true); // evicts a
    expect(l.take('a', 3)).toBe(true); // a is new again (evicts b)
    expect(l.take('c', 4)).toBe(false);
  });
});

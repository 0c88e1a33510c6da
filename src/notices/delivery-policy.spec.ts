import { describe, expect, it } from 'vitest';
import { backoffMs, leaseMs, SMS_BACKOFF_MAX_MS, SMS_MAX_ATTEMPTS } from './delivery-policy';

describe('SMS retry backoff', () => {
  it('doubles from 30 s after each failed attempt', () => {
    expect([1, 2, 3, 4, 5].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
  });

  it('is capped at one hour, also for absurd attempt counts', () => {
    expect(backoffMs(7)).toBe(1_920_000);
    expect(backoffMs(8)).toBe(SMS_BACKOFF_MAX_MS);
    expect(backoffMs(1000)).toBe(SMS_BACKOFF_MAX_MS);
  });

  it('treats 0 or fractions as the first attempt', () => {
    expect(backoffMs(0)).toBe(30_000);
    expect(backoffMs(2.7)).toBe(60_000);
  });

  it('gives up after a bounded total wait (under a day), then a town admin retries', () => {
    let total = 0;
    for (let a = 1; a < SMS_MAX_ATTEMPTS; a++) total += backoffMs(a);
    expect(total).toBeLessThan(24 * 3_600_000);
    expect(total).toBeGreaterThan(30 * 60_000);
  });

  it('leases a claimed notice for twice the gateway timeout', () => {
    expect(leaseMs(10_000)).toBe(20_000);
  });
});

import { describe, expect, it } from 'vitest';
import { nextMonthlyClose } from './schedule';

// Asia/Shanghai is UTC+8 all year: 00:10 on the 1st there is 16:10 UTC on the last day before.
describe('monthly close schedule (cron 10 0 1 * * in Asia/Shanghai)', () => {
  it.each([
    ['2026-11-23T12:00:00Z', '2026-11-30T16:10:00.000Z'],
    ['2026-11-30T16:09:59Z', '2026-11-30T16:10:00.000Z'],
    ['2026-11-30T16:10:00Z', '2026-12-31T16:10:00.000Z'],
    ['2026-12-31T23:00:00Z', '2027-01-31T16:10:00.000Z'],
    ['2027-02-15T00:00:00Z', '2027-02-28T16:10:00.000Z'],
    ['2028-02-15T00:00:00Z', '2028-02-29T16:10:00.000Z'],
  ])('from %s the next close runs at %s', (from, expected) => {
    expect(nextMonthlyClose(new Date(from)).toISOString()).toBe(expected);
  });

  it('always lands on the 1st at 00:10 Shanghai time, for two years of months', () => {
    let at = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 24; i++) {
      at = nextMonthlyClose(at);
      const shanghai = new Date(at.getTime() + 8 * 3600_000);
      expect([shanghai.getUTCDate(), shanghai.getUTCHours(), shanghai.getUTCMinutes()]).toEqual([1, 0, 10]);
    }
  });
});

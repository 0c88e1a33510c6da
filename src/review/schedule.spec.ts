import { describe, expect, it } from 'vitest';
import { isCloseDue, nextCloseRun, scheduledCloseAt } from './schedule';

// Asia/Shanghai is UTC+8 all year: 00:10 there is 16:10 UTC the day before.
describe('daily close scheduler (cron 10 0 * * * in Asia/Shanghai)', () => {
  it.each([
    ['2026-11-23T12:00:00Z', '2026-11-23T16:10:00.000Z'],
    ['2026-11-30T16:09:59Z', '2026-11-30T16:10:00.000Z'],
    ['2026-11-30T16:10:00Z', '2026-12-01T16:10:00.000Z'],
    ['2028-02-28T17:00:00Z', '2028-02-29T16:10:00.000Z'],
  ])('from %s the next run is %s', (from, expected) => {
    expect(nextCloseRun(new Date(from)).toISOString()).toBe(expected);
  });

  it('fires every day at 00:10 Shanghai time, for a year of days', () => {
    let at = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 366; i++) {
      const next = nextCloseRun(at);
      const shanghai = new Date(next.getTime() + 8 * 3600_000);
      expect([shanghai.getUTCHours(), shanghai.getUTCMinutes()]).toEqual([0, 10]);
      expect(next.getTime() - at.getTime()).toBeLessThanOrEqual(86_400_000);
      at = next;
    }
  });
});

describe('scheduled close of a period: 00:10 Shanghai on the town close day of the next month', () => {
  it.each([
    ['2026-11', 5, '2026-12-04T16:10:00.000Z'],
    ['2026-12', 5, '2027-01-04T16:10:00.000Z'],
    ['2026-11', 1, '2026-11-30T16:10:00.000Z'],
    ['2027-01', 28, '2027-02-27T16:10:00.000Z'],
    ['2028-01', 28, '2028-02-27T16:10:00.000Z'],
  ])('%s with close day %i closes at %s', (period, day, expected) => {
    expect(scheduledCloseAt(period, day).toISOString()).toBe(expected);
  });

  it('is due from that instant on, not a millisecond before', () => {
    expect(isCloseDue('2026-11', 5, new Date('2026-12-04T16:09:59.999Z'))).toBe(false);
    expect(isCloseDue('2026-11', 5, new Date('2026-12-04T16:10:00.000Z'))).toBe(true);
    expect(isCloseDue('2026-11', 10, new Date('2026-12-05T00:00:00Z'))).toBe(false);
  });
});

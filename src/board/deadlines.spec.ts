import { describe, expect, it } from 'vitest';
import { shanghaiDateTime } from '@app/common/time';
import { lateFlags, periodDeadlines } from './deadlines';

describe('period deadlines (Asia/Shanghai)', () => {
  it('close by the end of the 5th, publish by the end of the 10th of the next month', () => {
    expect(periodDeadlines('2026-03')).toEqual({ closeBy: new Date('2026-04-05T16:00:00Z'), publishBy: new Date('2026-04-10T16:00:00Z') });
    // December rolls into January of the next year.
    expect(periodDeadlines('2026-12').closeBy.toISOString()).toBe('2027-01-05T16:00:00.000Z');
  });

  it('flags late and overdue steps, and a missing cycle once its deadlines pass', () => {
    const times = { closedAt: new Date('2026-04-05T15:59:59Z'), publishedAt: new Date('2026-04-10T16:00:00Z'), windowEndsAt: new Date('2026-04-17T16:00:00Z'), finalizedAt: null };
    expect(lateFlags('2026-03', times, new Date('2026-04-17T16:00:01Z'))).toEqual({ closeLate: false, publishLate: true, finalizeOverdue: true });
    expect(lateFlags('2026-03', times, new Date('2026-04-17T15:00:00Z')).finalizeOverdue).toBe(false);
    expect(lateFlags('2026-03', null, new Date('2026-04-03T00:00:00Z'))).toEqual({ closeLate: false, publishLate: false, finalizeOverdue: false });
    expect(lateFlags('2026-03', null, new Date('2026-04-06T00:00:00Z'))).toMatchObject({ closeLate: true, publishLate: false });
  });

  it('follows the town close day: close by the end of day D, publish by the end of day D + 5', () => {
    expect(periodDeadlines('2026-11', 10)).toEqual({ closeBy: new Date('2026-12-10T16:00:00Z'), publishBy: new Date('2026-12-15T16:00:00Z') });
    // Day 28 + 5 runs over into the month after: Date.UTC carries it.
    expect(periodDeadlines('2027-01', 28).publishBy.toISOString()).toBe('2027-03-05T16:00:00.000Z');
    // Still open on the 7th: late with the default 5th, not with close day 10.
    const seventh = new Date('2026-12-07T00:00:00Z');
    expect(lateFlags('2026-11', null, seventh).closeLate).toBe(true);
    expect(lateFlags('2026-11', null, seventh, 10).closeLate).toBe(false);
    const closedOnThe8th = { closedAt: new Date('2026-12-08T01:00:00Z'), publishedAt: null, windowEndsAt: null, finalizedAt: null };
    expect(lateFlags('2026-11', closedOnThe8th, seventh, 10).closeLate).toBe(false);
    expect(lateFlags('2026-11', closedOnThe8th, seventh, 5).closeLate).toBe(true);
  });

  it('formats instants as Shanghai wall-clock time', () => {
    expect(shanghaiDateTime('2026-04-10T16:30:00Z')).toBe('2026-04-11 00:30');
  });
});

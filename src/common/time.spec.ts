import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCalendarDate, periodStart, shanghaiDate, shanghaiDateTime, shanghaiHour, shanghaiInstant, shanghaiMidnight, shanghaiPeriod, shanghaiYear } from './time';

describe('common/time (Asia/Shanghai, UTC+8 all year)', () => {
  it('reads an instant on the Shanghai calendar, not the server zone', () => {
    const at = new Date('2026-12-31T16:30:00Z'); // 2027-01-01 00:30 in Shanghai
    expect(shanghaiDate(at)).toBe('2027-01-01');
    expect(shanghaiPeriod(at)).toBe('2027-01');
    expect(shanghaiYear(at)).toBe(2027);
    expect(shanghaiHour(at)).toBe(0);
    expect(shanghaiDateTime(at)).toBe('2027-01-01 00:30');
    expect(shanghaiDateTime('2026-03-01T00:00:05Z', true)).toBe('2026-03-01 08:00:05');
  });

  it('midnight, an instant and a period start are the same Shanghai wall times', () => {
    expect(shanghaiMidnight('2026-03-01').toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(shanghaiInstant(2026, 3, 1).getTime()).toBe(shanghaiMidnight('2026-03-01').getTime());
    expect(periodStart('2026-03').getTime()).toBe(shanghaiMidnight('2026-03-01').getTime());
    // Rolls over as Date.UTC does: month 13 is January of the next year.
    expect(shanghaiInstant(2026, 13, 5, 0, 10).toISOString()).toBe('2027-01-04T16:10:00.000Z');
  });

  it('round-trips: the date of a Shanghai midnight is that date, for any real date', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        const day = d.toISOString().slice(0, 10);
        expect(isCalendarDate(day)).toBe(true);
        expect(shanghaiDate(shanghaiMidnight(day))).toBe(day);
      }),
    );
  });

  it('knows real calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(isCalendarDate('2026-2-01')).toBe(false);
  });
});

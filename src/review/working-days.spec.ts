import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isValidPeriod, nextPeriod, periodOf, periodStart, previousPeriod } from '@app/common/time';
import { addWorkingDays } from './working-days.js';

const NO_HOLIDAYS = new Set<string>();

/** Shanghai wall-clock time → Date, written out with its offset so the test reads like the calendar. */
const shanghai = (local: string): Date => new Date(`${local}+08:00`);
const endOfShanghaiDay = (day: string): Date => shanghai(`${day}T23:59:59.999`);

// 2026 National Day fixture, as in the State Council's 2026 holiday notice: 10-01 (Thu) to 10-07
// off, with Sunday 09-20 and Saturday 10-10 worked instead. The service reads the real calendar
// from configuration; this is only test data.
const NATIONAL_DAY_2026 = new Set([
  '2026-10-01',
  '2026-10-02',
  '2026-10-03',
  '2026-10-04',
  '2026-10-05',
  '2026-10-06',
  '2026-10-07',
]);
const MAKE_UP_2026 = new Set(['2026-09-20', '2026-10-10']);

describe('addWorkingDays', () => {
  it('counts whole working days after the start day and ends at 23:59:59.999 Shanghai', () => {
    // Monday 2026-03-02 → 7 working days → Wednesday 2026-03-11.
    const deadline = addWorkingDays(shanghai('2026-03-02T09:30:00'), 7, NO_HOLIDAYS);
    expect(deadline).toEqual(endOfShanghaiDay('2026-03-11'));
    expect(deadline.toISOString()).toBe('2026-03-11T15:59:59.999Z');
  });

  it('skips a weekend', () => {
    // Friday 2026-03-06 + 1 → Monday 03-09; + 3 → Wednesday 03-11.
    expect(addWorkingDays(shanghai('2026-03-06T16:00:00'), 1, NO_HOLIDAYS)).toEqual(endOfShanghaiDay('2026-03-09'));
    expect(addWorkingDays(shanghai('2026-03-06T16:00:00'), 3, NO_HOLIDAYS)).toEqual(endOfShanghaiDay('2026-03-11'));
  });

  it('starting on a weekend counts from the next working day', () => {
    // Saturday 2026-03-07 + 1 → Monday 03-09.
    expect(addWorkingDays(shanghai('2026-03-07T10:00:00'), 1, NO_HOLIDAYS)).toEqual(endOfShanghaiDay('2026-03-09'));
  });

  it('ends the start day itself for 0 days', () => {
    expect(addWorkingDays(shanghai('2026-03-07T10:00:00'), 0, NO_HOLIDAYS)).toEqual(endOfShanghaiDay('2026-03-07'));
  });

  it('skips the National Day week and counts the Saturday make-up day', () => {
    // Wed 09-30 → Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 make-up (3), Mon 10-12 (4) … Thu 10-15 (7).
    const deadline = addWorkingDays(shanghai('2026-09-30T10:00:00'), 7, NATIONAL_DAY_2026, 'Asia/Shanghai', MAKE_UP_2026);
    expect(deadline).toEqual(endOfShanghaiDay('2026-10-15'));
  });

  it('without the make-up day the same deadline is one working day later', () => {
    const deadline = addWorkingDays(shanghai('2026-09-30T10:00:00'), 7, NATIONAL_DAY_2026);
    expect(deadline).toEqual(endOfShanghaiDay('2026-10-16'));
  });

  it('counts the Sunday make-up day before the holiday', () => {
    // Fri 09-18 → Sun 09-20 make-up (1), Mon 09-21 (2).
    expect(
      addWorkingDays(shanghai('2026-09-18T10:00:00'), 2, NATIONAL_DAY_2026, 'Asia/Shanghai', MAKE_UP_2026),
    ).toEqual(endOfShanghaiDay('2026-09-21'));
  });

  it('uses the Shanghai date of the start: 23:30 UTC is already the next day', () => {
    // 2026-03-05T23:30Z is Friday 03-06 07:30 in Shanghai, so +1 is Monday 03-09, not Friday.
    const start = new Date('2026-03-05T23:30:00Z');
    expect(addWorkingDays(start, 1, NO_HOLIDAYS)).toEqual(endOfShanghaiDay('2026-03-09'));
    // 15:59:59.999Z is still Thursday 23:59:59.999 in Shanghai.
    expect(addWorkingDays(new Date('2026-03-05T15:59:59.999Z'), 1, NO_HOLIDAYS)).toEqual(
      endOfShanghaiDay('2026-03-06'),
    );
  });

  it('crosses a year end', () => {
    // Wed 2025-12-31 + 1 with New Year's Day off → Friday 2026-01-02.
    expect(addWorkingDays(shanghai('2025-12-31T12:00:00'), 1, new Set(['2026-01-01']))).toEqual(
      endOfShanghaiDay('2026-01-02'),
    );
  });

  it('rejects bad input', () => {
    expect(() => addWorkingDays(new Date(Number.NaN), 1, NO_HOLIDAYS)).toThrow(RangeError);
    expect(() => addWorkingDays(shanghai('2026-03-02T00:00:00'), -1, NO_HOLIDAYS)).toThrow(RangeError);
    expect(() => addWorkingDays(shanghai('2026-03-02T00:00:00'), 1.5, NO_HOLIDAYS)).toThrow(RangeError);
    expect(() => addWorkingDays(shanghai('2026-03-02T00:00:00'), 1, NO_HOLIDAYS, 'Europe/Berlin')).toThrow(
      /unsupported time zone/,
    );
    expect(() =>
      addWorkingDays(shanghai('2026-03-02T00:00:00'), 1, new Set(['2026-10-10']), 'Asia/Shanghai', MAKE_UP_2026),
    ).toThrow(/both a holiday and a make-up/);
  });

  it('always ends at 23:59:59.999 Shanghai on a working day, at least `days` calendar days later', () => {
    const from = Date.parse('2024-01-01T00:00:00Z');
    const to = Date.parse('2030-12-31T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: from, max: to }), fc.integer({ min: 1, max: 30 }), (ms, days) => {
        const start = new Date(ms);
        const deadline = addWorkingDays(start, days, NATIONAL_DAY_2026, 'Asia/Shanghai', MAKE_UP_2026);
        const local = new Date(deadline.getTime() + 8 * 3600 * 1000);
        expect(local.toISOString().slice(11)).toBe('23:59:59.999Z');
        const key = local.toISOString().slice(0, 10);
        const weekday = local.getUTCDay();
        const working = MAKE_UP_2026.has(key) || (weekday !== 0 && weekday !== 6 && !NATIONAL_DAY_2026.has(key));
        expect(working).toBe(true);
        expect(deadline.getTime() - start.getTime()).toBeGreaterThanOrEqual(days * 24 * 3600 * 1000 - 1);
        // One more working day never moves the deadline backwards.
        expect(addWorkingDays(start, days + 1, NATIONAL_DAY_2026, 'Asia/Shanghai', MAKE_UP_2026).getTime()).toBeGreaterThan(
          deadline.getTime(),
        );
      }),
    );
  });
});

describe('periods', () => {
  it('periodOf follows Shanghai midnight, not UTC', () => {
    expect(periodOf(new Date('2026-01-31T15:59:59.999Z'))).toBe('2026-01'); // 23:59:59.999 Shanghai
    expect(periodOf(new Date('2026-01-31T16:00:00.000Z'))).toBe('2026-02'); // 00:00 on 1 Feb Shanghai
    expect(periodOf(new Date('2025-12-31T16:00:00.000Z'))).toBe('2026-01');
    expect(periodOf(shanghai('2026-03-01T00:00:00'))).toBe('2026-03');
  });

  it('periodStart is 00:00 Shanghai on the 1st and round-trips with periodOf', () => {
    expect(periodStart('2026-02').toISOString()).toBe('2026-01-31T16:00:00.000Z');
    expect(periodOf(periodStart('2026-02'))).toBe('2026-02');
    expect(periodOf(new Date(periodStart('2026-02').getTime() - 1))).toBe('2026-01');
  });

  it('steps across year ends', () => {
    expect(previousPeriod('2026-01')).toBe('2025-12');
    expect(nextPeriod('2025-12')).toBe('2026-01');
    expect(previousPeriod('2026-07')).toBe('2026-06');
    expect(nextPeriod('2026-09')).toBe('2026-10');
  });

  it('previous and next are inverses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1001, max: 9998 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const period = `${year}-${String(month).padStart(2, '0')}`;
        expect(nextPeriod(previousPeriod(period))).toBe(period);
        expect(previousPeriod(nextPeriod(period))).toBe(period);
        expect(nextPeriod(period) > period).toBe(true);
      }),
    );
  });

  it.each(['2026-1', '2026-00', '2026-13', '26-01', '2026-01-01', ' 2026-01', '0999-12', ''])(
    'rejects %j as a period',
    (bad) => {
      expect(isValidPeriod(bad)).toBe(false);
      expect(() => nextPeriod(bad)).toThrow(RangeError);
    },
  );

  it('accepts well-formed periods and rejects non-strings', () => {
    expect(isValidPeriod('2026-01')).toBe(true);
    expect(isValidPeriod('2026-12')).toBe(true);
    expect(isValidPeriod(202601)).toBe(false);
    expect(isValidPeriod(null)).toBe(false);
  });

  it('refuses to step outside four-digit years', () => {
    expect(() => nextPeriod('9999-12')).toThrow(RangeError);
    expect(() => previousPeriod('1000-01')).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { inQuietHours, parseQuietHours, sendableFrom } from './quiet-hours';

// Asia/Shanghai is UTC+8 all year: 21:00 there is 13:00 UTC, 08:00 there is 00:00 UTC.
describe('SMS quiet hours (21:00–08:00 Asia/Shanghai)', () => {
  it.each([
    ['2026-12-01T20:59:00+08:00', false],
    ['2026-12-01T20:59:59.999+08:00', false],
    ['2026-12-01T21:00:00+08:00', true],
    ['2026-12-01T23:59:59+08:00', true],
    ['2026-12-02T00:00:00+08:00', true],
    ['2026-12-02T07:59:00+08:00', true],
    ['2026-12-02T07:59:59.999+08:00', true],
    ['2026-12-02T08:00:00+08:00', false],
    ['2026-12-02T12:00:00+08:00', false],
  ])('%s quiet: %s', (at, quiet) => {
    expect(inQuietHours(new Date(at))).toBe(quiet);
  });

  it.each([
    // outside quiet hours: now
    ['2026-12-01T20:59:00+08:00', '2026-12-01T20:59:00+08:00'],
    ['2026-12-02T08:00:00+08:00', '2026-12-02T08:00:00+08:00'],
    // evening: 08:00 the next day (across midnight, the month and the year)
    ['2026-12-01T21:00:00+08:00', '2026-12-02T08:00:00+08:00'],
    ['2026-11-30T23:30:00+08:00', '2026-12-01T08:00:00+08:00'],
    ['2026-12-31T22:00:00+08:00', '2027-01-01T08:00:00+08:00'],
    ['2028-02-28T21:00:00+08:00', '2028-02-29T08:00:00+08:00'],
    // after midnight: 08:00 the same day
    ['2026-12-02T00:00:00+08:00', '2026-12-02T08:00:00+08:00'],
    ['2026-12-02T07:59:00+08:00', '2026-12-02T08:00:00+08:00'],
  ])('held at %s → sent from %s', (at, from) => {
    expect(sendableFrom(new Date(at)).toISOString()).toBe(new Date(from).toISOString());
    expect(inQuietHours(sendableFrom(new Date(at)))).toBe(false);
  });

  it('takes another window from the setting, also one within a day', () => {
    const lunch = parseQuietHours('12-14');
    expect(lunch).toEqual({ from: 12, until: 14 });
    expect(inQuietHours(new Date('2026-12-01T11:59:00+08:00'), lunch!)).toBe(false);
    expect(inQuietHours(new Date('2026-12-01T12:00:00+08:00'), lunch!)).toBe(true);
    expect(inQuietHours(new Date('2026-12-01T13:59:00+08:00'), lunch!)).toBe(true);
    expect(inQuietHours(new Date('2026-12-01T14:00:00+08:00'), lunch!)).toBe(false);
    expect(inQuietHours(new Date('2026-12-01T22:00:00+08:00'), lunch!)).toBe(false);
    expect(sendableFrom(new Date('2026-12-01T12:30:00+08:00'), lunch!).toISOString()).toBe(new Date('2026-12-01T14:00:00+08:00').toISOString());
    expect(parseQuietHours('21-8')).toEqual({ from: 21, until: 8 });
    expect(parseQuietHours('22-07')).toEqual({ from: 22, until: 7 });
  });

  it.each(['', '21', '21-24', '8-8', '21:00-08:00', 'x-y', '-1-8'])('refuses the window %j', (text) => {
    expect(parseQuietHours(text)).toBeNull();
  });
});

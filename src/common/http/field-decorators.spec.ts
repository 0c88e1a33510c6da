import { describe, expect, it } from 'vitest';
import { hasAtMostDecimalPlaces, isPlausibleDate, isPlausibleTimestamp } from './field-decorators';
import { normalizeInput } from './validation';

describe('isPlausibleDate', () => {
  it.each(['2026-02-28', '2024-02-29', '1900-01-01', '2999-12-31'])('takes %s', (d) => expect(isPlausibleDate(d)).toBe(true));
  it.each(['2026-02-29', '2026-02-30', '2026-13-01', '0000-01-01', '1899-12-31', '3000-01-01', '2026-3-1', ' 2026-03-01', 20260301])('refuses %s', (d) => expect(isPlausibleDate(d)).toBe(false));
});

describe('isPlausibleTimestamp', () => {
  it.each(['2026-03-01', '2026-03-01T08:00', '2026-03-01T08:00:00Z', '2026-03-01T08:00:00.123456+08:00', '2026-03-01T23:59:59-05:30'])('takes %s', (d) =>
    expect(isPlausibleTimestamp(d)).toBe(true),
  );
  it.each(['2026', '2026-03', '2026-W10', '2026-03-01T10', '+2026-01-01', '2026-03-01T24:00:00Z', '2026-03-01T10:60', '2026-02-30T00:00:00Z', '2026-03-01T00:00:00+15:00', '2026-03-01T00:00:00.1234567Z'])(
    'refuses %s',
    (d) => expect(isPlausibleTimestamp(d)).toBe(false),
  );
});

describe('normalizeInput', () => {
  it('lower-cases UUIDs at any depth and names every string with a NUL', () => {
    const body = { goodsId: 'ABCDEF01-2345-4678-9ABC-DEF012345678', lines: [{ note: 'a\u0000b' }], ok: 'Hello' };
    const { value, nul } = normalizeInput(body);
    expect(value).toEqual({ goodsId: 'abcdef01-2345-4678-9abc-def012345678', lines: [{ note: 'a\u0000b' }], ok: 'Hello' });
    expect(nul).toEqual(['lines[0].note']);
  });
});

// class-validator's IsNumber({ maxDecimalPlaces }) throws on 1e-7 and on 1e400 (Infinity once parsed): the fuzz found it as a 500.
describe('hasAtMostDecimalPlaces', () => {
  it.each([0, 4, 22.5, 0.000001, 0.1 + 0.2, 1_000_000, -3.25])('takes %s with 6 places', (v) => expect(hasAtMostDecimalPlaces(v, 6)).toBe(true));
  it.each([1e-7, 0.0000015, JSON.parse('1e400'), -Infinity, Number.NaN, '4', null])('refuses %s with 6 places', (v) => expect(hasAtMostDecimalPlaces(v, 6)).toBe(false));
});

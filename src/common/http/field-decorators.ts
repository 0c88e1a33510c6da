import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength, ValidateBy, buildMessage } from 'class-validator';
import { isCalendarDate } from '@app/common/time';

export const PERIOD_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;
export const CARD_CODE_PATTERN = /^[A-Z0-9]{6,20}$/;

/** A period `YYYY-MM` (Asia/Shanghai month). */
export function IsPeriod(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    IsString(),
    Matches(PERIOD_PATTERN, { message: '$property must be a period YYYY-MM' }),
    ApiProperty({ example: '2026-11', pattern: PERIOD_PATTERN.source, description: '期间（年-月）', ...options } as ApiPropertyOptions),
  );
}

/** A card code as typed or scanned: scanners add CR/LF or spaces, people type lower case. */
export function normalizeCardCode(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toUpperCase() : value;
}

/** The printable code on a resident's shop card; trimmed and upper-cased before it is checked. */
export function IsCardCode(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    Transform(({ value }) => normalizeCardCode(value)),
    IsString(),
    MaxLength(20),
    Matches(CARD_CODE_PATTERN, { message: '$property must be 6–20 upper-case letters or digits' }),
    ApiProperty({ example: 'DC0001A7', description: '积分卡号', ...options } as ApiPropertyOptions),
  );
}

/** A real calendar date 'YYYY-MM-DD' (isCalendarDate) between 1900 and 2999: PostgreSQL takes no year 0, V8 takes 2026-02-30. */
export function isPlausibleDate(value: unknown): boolean {
  if (typeof value !== 'string' || !isCalendarDate(value)) return false;
  const year = Number(value.slice(0, 4));
  return year >= 1900 && year <= 2999;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2}))?)?$/;

/**
 * A date, or a date and time with an optional zone: '2026-03-01', '2026-03-01T08:00:00+08:00',
 * '2026-03-01T00:00Z'. Stricter than IsISO8601, which also takes '2026', '2026-W10' and
 * '+2026-01-01', all of which PostgreSQL refuses (a 500 before this check).
 */
export function isPlausibleTimestamp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = TIMESTAMP.exec(value);
  if (!m || !isPlausibleDate(m[1])) return false;
  const [hh, mm, ss, , zh, zm] = [m[2], m[3], m[4], m[5], m[6], m[7]].map((x) => (x === undefined ? 0 : Number(x)));
  return hh < 24 && mm < 60 && ss < 60 && zh <= 14 && zm < 60;
}

/** A real calendar date 'YYYY-MM-DD' (see isPlausibleDate); `each` for arrays. */
export function IsCalendarDate(options: { each?: boolean } = {}) {
  return ValidateBy(
    { name: 'isCalendarDate', validator: { validate: isPlausibleDate, defaultMessage: buildMessage((each) => `${each}$property must be a calendar date YYYY-MM-DD`) } },
    { each: options.each },
  );
}

/**
 * At most `places` decimal places. class-validator's own `IsNumber({ maxDecimalPlaces })` throws
 * a TypeError (a 500) on a number whose text has no '.', such as 1e-7 or 1e400 (JSON for Infinity),
 * so this check is ours: finite numbers only, counted on the exponent-free form.
 */
export function hasAtMostDecimalPlaces(value: unknown, places: number): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (Number.isInteger(value)) return true;
  const scaled = value * 10 ** places;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled)) && Math.abs(value) >= 10 ** -places;
}

export function MaxDecimalPlaces(places: number) {
  return ValidateBy({
    name: 'maxDecimalPlaces',
    constraints: [places],
    validator: { validate: (v) => hasAtMostDecimalPlaces(v, places), defaultMessage: buildMessage((each) => `${each}$property must be a finite number with at most ${places} decimal places`) },
  });
}

/** A date or date-time as isPlausibleTimestamp takes it. */
export function IsTimestamp() {
  return ValidateBy({
    name: 'isTimestamp',
    validator: { validate: isPlausibleTimestamp, defaultMessage: buildMessage((each) => `${each}$property must be a date YYYY-MM-DD or a date-time like 2026-03-01T08:00:00+08:00`) },
  });
}

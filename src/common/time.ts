/**
 * Time as the programme's users see it (DESIGN.md §6: Asia/Shanghai), whatever zone the server
 * runs in: the one home for Shanghai dates, periods and printed times. China has had no daylight
 * saving since 1991, so a fixed +08:00 on epoch milliseconds is exact (a zone with DST would need
 * real tz data).
 */
export const SHANGHAI_TIME_ZONE = 'Asia/Shanghai';
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** `at` shifted so that its UTC fields read Shanghai's wall clock (for getUTC*() and toISOString()). */
function wall(at: Date | string | number): Date {
  return new Date(new Date(at).getTime() + SHANGHAI_OFFSET_MS);
}

/** 'YYYY-MM-DD' of `at` in Asia/Shanghai (today by default). */
export function shanghaiDate(at: Date | string | number = new Date()): string {
  return wall(at).toISOString().slice(0, 10);
}

/**
 * SQL: timestamptz expression `t` as the text JSON.stringify writes for the Date pg makes of it
 * ('YYYY-MM-DDTHH:mm:ss.sssZ', UTC; to_char's MS truncates as pg's Date does).
 */
export const sqlJsonInstant = (t: string): string => `to_char(${t} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** SQL: `t`'s calendar date in Asia/Shanghai, 'YYYY-MM-DD' (shanghaiDate, in PostgreSQL). */
export const sqlShanghaiDate = (t: string): string => `to_char(${t} AT TIME ZONE '${SHANGHAI_TIME_ZONE}', 'YYYY-MM-DD')`;

/** The period 'YYYY-MM' an instant falls in, in Asia/Shanghai. */
export function shanghaiPeriod(at: Date): string {
  return wall(at).toISOString().slice(0, 7);
}

/** The calendar year of an instant in Asia/Shanghai. */
export function shanghaiYear(at: Date): number {
  return wall(at).getUTCFullYear();
}

/** The hour (0–23) of an instant in Asia/Shanghai. */
export function shanghaiHour(at: Date): number {
  return wall(at).getUTCHours();
}

/** 'YYYY-MM-DD HH:mm' in Asia/Shanghai (printed notices, boards); with seconds: 'YYYY-MM-DD HH:mm:ss'. */
export function shanghaiDateTime(at: Date | string, withSeconds = false): string {
  const s = wall(at).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, withSeconds ? 19 : 16)}`;
}

/** The instant of 00:00 Asia/Shanghai on a date 'YYYY-MM-DD'. */
export function shanghaiMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - SHANGHAI_OFFSET_MS);
}

/** The instant of Shanghai wall time y-m-d h:min (month 1-based; out-of-range fields roll over as Date.UTC does). */
export function shanghaiInstant(year: number, month: number, day: number, hour = 0, minute = 0): Date {
  return new Date(Date.UTC(year, month - 1, day, hour, minute) - SHANGHAI_OFFSET_MS);
}

/** True for a real calendar date written 'YYYY-MM-DD'. */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

const PERIOD_PATTERN = /^([1-9]\d{3})-(0[1-9]|1[0-2])$/;

function assertValidDate(date: Date, what: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError(`${what} must be a valid Date`);
}

/** The period 'YYYY-MM' that `date` falls in, in Asia/Shanghai; a RangeError for an invalid Date. */
export function periodOf(date: Date): string {
  assertValidDate(date, 'date');
  return shanghaiPeriod(date);
}

export function isValidPeriod(period: unknown): period is string {
  return typeof period === 'string' && PERIOD_PATTERN.test(period);
}

function shiftPeriod(period: string, months: number): string {
  const m = PERIOD_PATTERN.exec(period);
  if (m === null) throw new RangeError(`invalid period ${JSON.stringify(period)}; expected YYYY-MM`);
  const index = Number(m[1]) * 12 + (Number(m[2]) - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const shifted = `${year}-${String(month).padStart(2, '0')}`;
  if (!isValidPeriod(shifted)) throw new RangeError(`period ${period} has no neighbour ${shifted}`);
  return shifted;
}

export function previousPeriod(period: string): string {
  return shiftPeriod(period, -1);
}

export function nextPeriod(period: string): string {
  return shiftPeriod(period, 1);
}

/** The first instant of a period (00:00 Asia/Shanghai on its 1st day), for range queries. */
export function periodStart(period: string): Date {
  const m = PERIOD_PATTERN.exec(period);
  if (m === null) throw new RangeError(`invalid period ${JSON.stringify(period)}; expected YYYY-MM`);
  return shanghaiInstant(Number(m[1]), Number(m[2]), 1);
}

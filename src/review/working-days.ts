/**
 * Working-day arithmetic for review deadlines (holidays and 调休 from the town's settings).
 * Shanghai dates and periods themselves live in common/time.
 */

/**
 * UTC offsets of the zones we support. China has had no daylight saving time since 1991, so
 * Asia/Shanghai is a fixed UTC+8 and plain arithmetic on epoch milliseconds is exact; a zone with
 * DST would need real tz data, hence the explicit list rather than Intl guesses.
 */
export const FIXED_UTC_OFFSETS_MS: Readonly<Record<string, number>> = {
  'Asia/Shanghai': 8 * 60 * 60 * 1000,
};

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Guards the day loop against absurd inputs; a year has about 250 working days. */
const MAX_WORKING_DAYS = 3660;

function offsetOf(tz: string): number {
  const offset = FIXED_UTC_OFFSETS_MS[tz];
  if (offset === undefined) throw new RangeError(`unsupported time zone ${tz}`);
  return offset;
}

function assertValidDate(date: Date, what: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError(`${what} must be a valid Date`);
  }
}

/** Days since 1970-01-01 of the local calendar day `date` falls on. */
function localDayNumber(date: Date, offsetMs: number): number {
  return Math.floor((date.getTime() + offsetMs) / DAY_MS);
}

/** 'YYYY-MM-DD' of a local day number; getUTC* on the shifted instant reads the local fields. */
function dayKey(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
function weekdayOf(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}

/**
 * The deadline N working days after the day `start` falls on: the last millisecond
 * (23:59:59.999 local) of the Nth working day after that day. Day 0 is the start day itself,
 * so `days = 0` ends today. Working days are Monday–Friday, minus `holidays`, plus `makeUpWorkdays`
 * (调休: weekend days officially worked in exchange for a longer holiday). Both sets hold local
 * dates 'YYYY-MM-DD'; the year's official calendar comes from configuration, not from code.
 */
export function addWorkingDays(
  start: Date,
  days: number,
  holidays: ReadonlySet<string>,
  tz: string = DEFAULT_TIME_ZONE,
  makeUpWorkdays: ReadonlySet<string> = new Set<string>(),
): Date {
  assertValidDate(start, 'start');
  if (!Number.isSafeInteger(days) || days < 0 || days > MAX_WORKING_DAYS) {
    throw new RangeError(`days must be an integer from 0 to ${MAX_WORKING_DAYS}`);
  }
  for (const day of makeUpWorkdays) {
    // A date both off and on is a configuration error; picking one silently would move deadlines.
    if (holidays.has(day)) throw new RangeError(`${day} is both a holiday and a make-up working day`);
  }
  const offset = offsetOf(tz);

  const isWorkingDay = (dayNumber: number): boolean => {
    const key = dayKey(dayNumber);
    if (makeUpWorkdays.has(key)) return true;
    const weekday = weekdayOf(dayNumber);
    return weekday !== 0 && weekday !== 6 && !holidays.has(key);
  };

  let day = localDayNumber(start, offset);
  for (let counted = 0; counted < days; ) {
    day += 1;
    if (isWorkingDay(day)) counted += 1;
  }
  return new Date((day + 1) * DAY_MS - offset - 1);
}

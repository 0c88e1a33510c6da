import calendar from 'chinese-days/dist/chinese-days.json';
import pkg from 'chinese-days/package.json';

/**
 * The State Council's holiday arrangements as the `chinese-days` package ships them: each
 * holiday date and each make-up workday (调休上班) with the festival's name. The town starts from
 * these each year and edits them; the api computes deadlines from what the town saved.
 */
export type DayKind = 'holiday' | 'makeup';

export interface CalendarDay {
  date: string;
  kind: DayKind;
  /** Chinese festival name, e.g. 国庆节; empty for a day the town added itself. */
  name: string;
}

interface CalendarData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const data = calendar as CalendarData;

/** "National Day,国庆节,3" → 国庆节 */
function nameOf(value: string): string {
  return value.split(',')[1] ?? value;
}

export const OFFICIAL_SOURCE = `chinese-days ${pkg.version}`;

/** The years the package has an official arrangement for, ascending. */
export const OFFICIAL_YEARS: number[] = [...new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);

export function officialDays(year: number): CalendarDay[] {
  const prefix = `${year}-`;
  const days: CalendarDay[] = [
    ...Object.entries(data.holidays).filter(([d]) => d.startsWith(prefix)).map(([date, v]) => ({ date, kind: 'holiday' as const, name: nameOf(v) })),
    ...Object.entries(data.workdays).filter(([d]) => d.startsWith(prefix)).map(([date, v]) => ({ date, kind: 'makeup' as const, name: nameOf(v) })),
  ];
  return days.sort((a, b) => a.date.localeCompare(b.date));
}

/** The official festival name of a date, if it has one (for days the town saved). */
export function officialName(date: string): string {
  const v = data.holidays[date] ?? data.workdays[date];
  return v ? nameOf(v) : '';
}

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

export function weekdayOf(date: string): string {
  return `星期${WEEKDAYS[new Date(`${date}T12:00:00Z`).getUTCDay()]}`;
}

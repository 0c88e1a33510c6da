import { CronExpressionParser } from 'cron-parser';
import { shanghaiInstant } from '@app/common/time';
import { SCHEDULES } from '@app/queue/jobs';

/** The close day when a town has not set one (the 5th of the next month). */
export const DEFAULT_CLOSE_DAY = 5;

/** When the daily close scheduler fires next after `from` (BullMQ uses the same cron parser). */
export function nextCloseRun(from: Date): Date {
  const { pattern, tz } = SCHEDULES.closeDaily;
  return CronExpressionParser.parse(pattern, { currentDate: from, tz }).next().toDate();
}

/**
 * When `period` ('YYYY-MM') is due to close: 00:10 Asia/Shanghai (UTC+8 all year) on day
 * `closeDay` (1–28) of the next month. The daily scheduler and reconcile both close a cycle
 * from this instant on, so they agree.
 */
export function scheduledCloseAt(period: string, closeDay: number): Date {
  const [y, m] = period.split('-').map(Number);
  return shanghaiInstant(y, m + 1, closeDay, 0, 10);
}

export function isCloseDue(period: string, closeDay: number, now: Date): boolean {
  return now.getTime() >= scheduledCloseAt(period, closeDay).getTime();
}

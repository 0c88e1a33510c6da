import { CronExpressionParser } from 'cron-parser';
import { SCHEDULES } from '@app/queue/jobs';

/** When the monthly close scheduler fires next after `from` (BullMQ uses the same cron parser). */
export function nextMonthlyClose(from: Date): Date {
  const { pattern, tz } = SCHEDULES.closeMonth;
  return CronExpressionParser.parse(pattern, { currentDate: from, tz }).next().toDate();
}

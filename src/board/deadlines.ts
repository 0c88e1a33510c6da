import { shanghaiDateTime, shanghaiInstant } from '@app/common/time';
import { DEFAULT_CLOSE_DAY } from '@app/review/schedule';

/**
 * When a village's month is due at each step (Asia/Shanghai, UTC+8 all year), with the town's
 * close day D (towns.close_day, default 5; the scheduled close runs at 00:10 that day):
 * - closed by the end of day D of the next month,
 * - published (公示) within five days after it, by the end of day D + 5 (the 10th by default),
 * - finalized once the objection window has ended (the finalize job runs then; a window that
 *   ended and is still not finalized is overdue).
 */
/** 00:00 Asia/Shanghai of day `day` of the month after `period` ('YYYY-MM'). */
function startOfDayAfterPeriod(period: string, day: number): Date {
  const [y, m] = period.split('-').map(Number);
  return shanghaiInstant(y, m + 1, day);
}

export interface PeriodDeadlines {
  /** Close is late from this instant on (00:00 of day D + 1 of the next month, Shanghai). */
  closeBy: Date;
  /** Publish is late from this instant on (00:00 of day D + 6 of the next month, Shanghai). */
  publishBy: Date;
}

export function periodDeadlines(period: string, closeDay = DEFAULT_CLOSE_DAY): PeriodDeadlines {
  return { closeBy: startOfDayAfterPeriod(period, closeDay + 1), publishBy: startOfDayAfterPeriod(period, closeDay + 6) };
}

export interface CycleTimes {
  closedAt: Date | null;
  publishedAt: Date | null;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
}

export interface LateFlags {
  /** Not closed by the town's close day of the next month (closed late, or still open after it). */
  closeLate: boolean;
  /** Not published within five days after the close day. */
  publishLate: boolean;
  /** The objection window has ended and the cycle is not finalized. */
  finalizeOverdue: boolean;
}

/** A missing cycle counts as never closed / published. */
export function lateFlags(period: string, c: CycleTimes | null, now: Date, closeDay = DEFAULT_CLOSE_DAY): LateFlags {
  const d = periodDeadlines(period, closeDay);
  const late = (at: Date | null | undefined, by: Date) => (at ? at.getTime() >= by.getTime() : now.getTime() >= by.getTime());
  return {
    closeLate: late(c?.closedAt, d.closeBy),
    publishLate: late(c?.publishedAt, d.publishBy),
    finalizeOverdue: !!c?.windowEndsAt && !c.finalizedAt && c.windowEndsAt.getTime() <= now.getTime(),
  };
}

/** A Date as 'YYYY-MM-DD HH:mm' in Asia/Shanghai (for printed notices). */
export function formatShanghai(d: Date | string): string {
  return shanghaiDateTime(d);
}

/**
 * When a village's month is due at each step (Asia/Shanghai, UTC+8 all year):
 * - closed by the end of the 5th of the next month,
 * - published (公示) by the end of the 10th of the next month,
 * - finalized once the objection window has ended (the finalize job runs then; a window that
 *   ended and is still not finalized is overdue).
 */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** 00:00 Asia/Shanghai of day `day` of the month after `period` ('YYYY-MM'). */
function startOfDayAfterPeriod(period: string, day: number): Date {
  const [y, m] = period.split('-').map(Number);
  // Date.UTC months are 0-based: `m` (1-based) is already the next month's index.
  return new Date(Date.UTC(y, m, day) - SHANGHAI_OFFSET_MS);
}

export interface PeriodDeadlines {
  /** Close is late from this instant on (00:00 of the 6th of the next month, Shanghai). */
  closeBy: Date;
  /** Publish is late from this instant on (00:00 of the 11th of the next month, Shanghai). */
  publishBy: Date;
}

export function periodDeadlines(period: string): PeriodDeadlines {
  return { closeBy: startOfDayAfterPeriod(period, 6), publishBy: startOfDayAfterPeriod(period, 11) };
}

export interface CycleTimes {
  closedAt: Date | null;
  publishedAt: Date | null;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
}

export interface LateFlags {
  /** Not closed by the 5th of the next month (closed late, or still open after it). */
  closeLate: boolean;
  /** Not published by the 10th of the next month. */
  publishLate: boolean;
  /** The objection window has ended and the cycle is not finalized. */
  finalizeOverdue: boolean;
}

/** A missing cycle counts as never closed / published. */
export function lateFlags(period: string, c: CycleTimes | null, now: Date): LateFlags {
  const d = periodDeadlines(period);
  const late = (at: Date | null | undefined, by: Date) => (at ? at.getTime() >= by.getTime() : now.getTime() >= by.getTime());
  return {
    closeLate: late(c?.closedAt, d.closeBy),
    publishLate: late(c?.publishedAt, d.publishBy),
    finalizeOverdue: !!c?.windowEndsAt && !c.finalizedAt && c.windowEndsAt.getTime() <= now.getTime(),
  };
}

/** A Date as 'YYYY-MM-DD HH:mm' in Asia/Shanghai (for printed notices). */
export function formatShanghai(d: Date | string): string {
  const s = new Date(new Date(d).getTime() + SHANGHAI_OFFSET_MS).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}

/**
 * Quiet hours for SMS: none between 21:00 and 08:00 Asia/Shanghai (UTC+8 all year, no DST).
 * A notice due in them is held, never dropped, and sent from 08:00 on.
 */
export const QUIET_FROM_HOUR = 21;
export const QUIET_UNTIL_HOUR = 8;

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** True when `at` falls in [21:00, 08:00) Shanghai time. */
export function inQuietHours(at: Date): boolean {
  const hour = new Date(at.getTime() + SHANGHAI_OFFSET_MS).getUTCHours();
  return hour >= QUIET_FROM_HOUR || hour < QUIET_UNTIL_HOUR;
}

/** `at` itself outside quiet hours; otherwise the 08:00 Shanghai that ends them. */
export function sendableFrom(at: Date): Date {
  if (!inQuietHours(at)) return at;
  const local = at.getTime() + SHANGHAI_OFFSET_MS;
  const localMidnight = Math.floor(local / DAY_MS) * DAY_MS;
  const hour = new Date(local).getUTCHours();
  const endLocal = localMidnight + (hour >= QUIET_FROM_HOUR ? DAY_MS : 0) + QUIET_UNTIL_HOUR * HOUR_MS;
  return new Date(endLocal - SHANGHAI_OFFSET_MS);
}

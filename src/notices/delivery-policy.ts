/**
 * How notices are delivered by SMS, as named constants (the credit export's shape: batches,
 * a timeout, attempts with exponential backoff, then `failed` until a town admin retries).
 */

/** Messages per HTTP request to the gateway. */
export const SMS_BATCH_SIZE = 100;
/** A run stops after this many batches; the next run (or the follow-up job) goes on. */
export const SMS_MAX_BATCHES_PER_RUN = 50;
/** After this many failed attempts a notice is `failed` (shown to the town admin) until retried. */
export const SMS_MAX_ATTEMPTS = 8;
/** Backoff after the n-th failed attempt: 30 s, 1, 2, 4 … min, at most 1 h. */
export const SMS_BACKOFF_BASE_MS = 30_000;
export const SMS_BACKOFF_MAX_MS = 3_600_000;
/** The gateway's answer kept on a failed notice, at most this many characters. */
export const SMS_ANSWER_MAX_CHARS = 500;

/** Delay before the next attempt after `attempts` failed ones (1-based). */
export function backoffMs(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(SMS_BACKOFF_MAX_MS, SMS_BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 30));
}

/**
 * A claimed notice is leased for this long: a run killed mid-delivery leaves its rows pending,
 * and they are due again once the lease lapses (so a crash loses nothing; the gateway may see a
 * message twice and de-duplicates on its id).
 */
export function leaseMs(timeoutMs: number): number {
  return 2 * timeoutMs;
}

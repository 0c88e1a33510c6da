import { createHash } from 'node:crypto';

/**
 * Idempotency in one place: the canonical hash of a request (same key + same body = same effect;
 * same key + another body = a conflict) and the test for PostgreSQL's unique violation, which is
 * how a repeated key or a taken code shows up at insert time.
 */

/** Canonical hash of a request body: keys sorted, undefined and null left out. */
export function hashRequest(body: Record<string, unknown>): string {
  const keys = Object.keys(body).filter((k) => body[k] !== undefined && body[k] !== null).sort();
  return createHash('sha256').update(JSON.stringify(keys.map((k) => [k, body[k]]))).digest('hex');
}

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
  driverError?: PgError;
}

/**
 * True when `err` is PostgreSQL's unique violation (23505), as pg or TypeORM (driverError) throw
 * it; with `on`, only on that constraint name, or on a key that has that column (the detail's
 * "Key (town_id, card_code)=(…)", so a key widened by town still matches).
 */
export function isUniqueViolation(err: unknown, on?: { constraint?: string; column?: string }): boolean {
  const raw = err as PgError | null;
  const e = raw?.driverError ?? raw;
  if (!e || e.code !== '23505') return false;
  if (on?.constraint !== undefined && e.constraint !== on.constraint) return false;
  if (on?.column !== undefined) {
    const columns = /Key \(([^)]*)\)=/.exec(e.detail ?? '')?.[1].split(',').map((c) => c.trim().replace(/^"|"$/g, '')) ?? [];
    if (!columns.includes(on.column)) return false;
  }
  return true;
}

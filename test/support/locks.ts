import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Transactions of a test's own that hold row locks until it ends them, so that what the code
 * under test does can be made to wait at a chosen point. `endAll` (in afterEach) rolls back
 * whatever a failed test left open.
 */
export class HeldLocks {
  private readonly open: QueryRunner[] = [];

  /** Runs `sql` in a new transaction on a connection of `db` and leaves it open. */
  async hold(db: DataSource, sql: string, params: unknown[] = []): Promise<QueryRunner> {
    const qr = db.createQueryRunner();
    await qr.connect();
    await qr.query('BEGIN');
    await qr.query(sql, params);
    this.open.push(qr);
    return qr;
  }

  async end(qr: QueryRunner, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    await qr.query(how);
    await qr.release();
    this.open.splice(this.open.indexOf(qr), 1);
  }

  async endAll(): Promise<void> {
    for (const qr of [...this.open]) await this.end(qr, 'ROLLBACK').catch(() => undefined);
  }
}

/** Backends of this database waiting on a lock, other than the caller's own. */
export async function lockWaiters(db: DataSource): Promise<number> {
  return Number((await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`))[0].n);
}

/**
 * A receipt row of the same terminal under idempotency key $2, copied from key $1's: held open
 * with HeldLocks, a same-key twin in flight in another transaction.
 */
export const COPY_RECEIPT_SQL = `INSERT INTO redemptions (town_id, shop_id, village_id, resident_id, terminal_id, receipt_no, idempotency_key, request_hash, lines, total_points, balance_after, posting_id)
   SELECT town_id, shop_id, village_id, resident_id, terminal_id, receipt_no || '-X', $2, 'another-body', lines, total_points, balance_after, posting_id FROM redemptions WHERE idempotency_key = $1`;

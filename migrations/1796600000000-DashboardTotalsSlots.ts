import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19: the dashboard totals (DashboardTotals, DashboardOutboxTotals) spread a key's counter
 * rows over 8 slots by `pg_backend_pid() % 8`. Two pooled backends whose pids are equal mod 8
 * write the same row, and the second waits for the first's commit. With two redemption batches
 * in flight that is a batch waiting on another's commit until REDEEM_BATCH_LOCK_TIMEOUT_MS
 * cancels its sales (docs/PERFORMANCE.md, "batches in flight that share no goods").
 *
 * Now each backend takes a slot of its own the first time it counts something, and keeps it
 * until it disconnects: the lowest n in 0..999 whose session advisory lock (class SLOT_CLASS, n)
 * it gets, remembered in the session setting `xinyi.totals_slot`. Two live backends never hold
 * the same slot, so concurrent writers never share a counter row, and a slot a closed backend
 * left is taken again by the next one (a key has about as many rows as backends ever wrote it at
 * once). If the transaction that took the slot rolls back, the setting goes with it but the
 * session lock does not: the backend finds its lock in pg_locks and takes that slot again. Past
 * 1,000 backends at once the slot is 1000 + pid % 8, shared as before.
 *
 * The four counting functions are rewritten in place from their own definitions, with the slot
 * expression replaced; readers sum the slots and do not change.
 */
const SLOT_CLASS = 2020175481; // 'xiny'
const FUNCTIONS = ['dashboard_count_postings', 'dashboard_count_entries', 'dashboard_count_withdrawal', 'dashboard_count_outbox'];
const OLD = '(pg_backend_pid() % 8)::smallint';
const NEW = 'dashboard_totals_slot()';

async function rewrite(q: QueryRunner, from: string, to: string): Promise<void> {
  for (const f of FUNCTIONS) {
    const [{ def }] = (await q.query(`SELECT pg_get_functiondef($1::regproc) AS def`, [f])) as Array<{ def: string }>;
    if (!def.includes(from)) throw new Error(`${f}: its definition does not contain ${from}`);
    await q.query(def.split(from).join(to));
  }
}

export class DashboardTotalsSlots1796600000000 implements MigrationInterface {
  name = 'DashboardTotalsSlots1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION dashboard_totals_slot() RETURNS smallint LANGUAGE plpgsql AS $$
      DECLARE
        s text := current_setting('xinyi.totals_slot', true);
        n int;
      BEGIN
        IF s IS NOT NULL AND s <> '' THEN RETURN s::smallint; END IF;
        SELECT objid::int INTO n FROM pg_locks
         WHERE locktype = 'advisory' AND classid = ${SLOT_CLASS}::oid AND objsubid = 2 AND pid = pg_backend_pid() AND granted
         ORDER BY objid LIMIT 1;
        IF n IS NULL THEN
          FOR i IN 0..999 LOOP
            IF pg_try_advisory_lock(${SLOT_CLASS}, i) THEN n := i; EXIT; END IF;
          END LOOP;
        END IF;
        IF n IS NULL THEN RETURN (1000 + pg_backend_pid() % 8)::smallint; END IF;
        PERFORM set_config('xinyi.totals_slot', n::text, false);
        RETURN n::smallint;
      END $$`);
    await rewrite(q, OLD, NEW);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, NEW, OLD);
    await q.query(`DROP FUNCTION dashboard_totals_slot()`);
  }
}

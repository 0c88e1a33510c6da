/**
 * The verifier's reads of postings, on a plain node-postgres client (the verifier's own
 * connection or a worker thread's), outside Nest and TypeORM: rows as arrays of text, streamed
 * through a server-side cursor so memory stays flat whatever the size of the town.
 */
import type { ClientBase } from 'pg';
import type { ChainRow } from './chain-check';

/** Every column as the text PostgreSQL sent: no Date, no number parsing per field. */
const AS_TEXT = { getTypeParser: () => (value: string) => value };

/**
 * The verification transaction's settings: a snapshot shared by every reader (the worker threads
 * import the verifier's), and timestamps printed in UTC, ISO style, which isoOfPgUtcTimestamp
 * turns into the hashed string.
 */
export async function beginChainRead(client: ClientBase, snapshot: string | null): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  if (snapshot) await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
  await setChainReadSession(client);
}

/**
 * Inside an open transaction, for this transaction only: UTC, ISO dates, and no idle timeout
 * (the verifier's own connection waits, idle in its transaction, while worker threads read
 * under its snapshot; the pool's 60 s idle-in-transaction limit would end it mid-run).
 */
export async function setChainReadSession(client: ClientBase): Promise<void> {
  await client.query(`SET LOCAL TimeZone = 'UTC'`);
  await client.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
  await client.query(`SET LOCAL idle_in_transaction_session_timeout = 0`);
}

/** Ends a worker's read (its transaction wrote nothing). */
export async function endChainRead(client: ClientBase): Promise<void> {
  await client.query('COMMIT');
}

/** The snapshot of the caller's (repeatable read) transaction, for other sessions to import. */
export async function exportSnapshot(client: ClientBase): Promise<string> {
  const r = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  return r.rows[0].id;
}

let cursors = 0;

/**
 * The postings of the town's accounts from `firstAccountId` to `lastAccountId` (inclusive, uuid
 * order), in (account_id, seq) order, read `fetchSize` rows at a time. Driven by the accounts
 * (town, resident) index and each account's (account_id, seq) index: already in order, no sort.
 */
export async function* readChains(client: ClientBase, townId: string, firstAccountId: string, lastAccountId: string, fetchSize: number): AsyncGenerator<ChainRow[]> {
  const name = `verify_chain_${++cursors}`;
  await client.query(
    `DECLARE ${name} NO SCROLL CURSOR FOR
     SELECT p.account_id, p.seq, p.kind, p.points, p.source_ref, p.counterparty, p.period, p.item_code, p.memo, p.posted_at, p.prev_hash, p.hash
       FROM accounts a JOIN postings p ON p.account_id = a.resident_id
      WHERE a.town_id = $1 AND a.resident_id >= $2::uuid AND a.resident_id <= $3::uuid
      ORDER BY a.resident_id, p.seq`,
    [townId, firstAccountId, lastAccountId],
  );
  try {
    for (;;) {
      const r = await client.query<ChainRow>({ text: `FETCH ${Math.max(1, Math.floor(fetchSize))} FROM ${name}`, rowMode: 'array', types: AS_TEXT });
      if (r.rows.length) yield r.rows;
      if (r.rows.length < fetchSize) break;
    }
  } finally {
    await client.query(`CLOSE ${name}`);
  }
}

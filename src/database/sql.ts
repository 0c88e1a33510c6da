import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

/** A connection a repository method runs on: the pool, or a transaction's manager. */
export type Db = DataSource | EntityManager;

/** The least queryRows/queryOne need (also a raw pg client, as the ledger's verification workers hand in). */
export type Queryable = Pick<DataSource | EntityManager, 'query'>;

/**
 * A statement PostgreSQL keeps prepared per connection: parsed once, and after a few runs
 * executed with a cached generic plan instead of being parsed and planned on every call (3.1 of
 * 4.8 PostgreSQL ms of a redemption went to that). For hot, fixed SQL only: every pooled
 * connection keeps each one. The name is derived from the text, because pg refuses one name
 * for two texts.
 */
export interface PreparedSql {
  readonly name: string;
  readonly text: string;
}

export function prepared(text: string): PreparedSql {
  return { name: `xinyi_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text };
}

/**
 * TypeORM hands its query argument to pg's client.query unchanged, and pg takes a
 * { name, text } config there. pg writes the values into that object, so each call gets its own.
 */
function statementArg(sql: string | PreparedSql): string {
  return typeof sql === 'string' ? sql : ({ name: sql.name, text: sql.text } as unknown as string);
}

/**
 * Runs a statement and returns its rows whatever its kind. TypeORM's postgres driver returns
 * `rows` for SELECT/INSERT but `[rows, rowCount]` for UPDATE/DELETE; repositories should not
 * have to remember which.
 */
export async function queryRows<T>(db: Queryable, sql: string | PreparedSql, params: unknown[] = []): Promise<T[]> {
  const result: unknown = await db.query(statementArg(sql), params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

export async function queryOne<T>(db: Queryable, sql: string | PreparedSql, params: unknown[] = []): Promise<T | null> {
  const rows = await queryRows<T>(db, sql, params);
  return rows[0] ?? null;
}

/** Makes the transaction `m` runs in READ ONLY (its first statement): a preview or a check writes nothing. */
export async function setTransactionReadOnly(m: Queryable): Promise<void> {
  await m.query('SET TRANSACTION READ ONLY');
}

/**
 * `m`, checked to be the manager of an open transaction, for a write whose promise is that it
 * commits with its cause or not at all: an outbox row (a notice, a posting for the credit
 * platform), an entry's state and event written by another feature's step. Handed the pool's
 * manager, or one whose transaction has ended, such a write would commit on its own; this
 * throws instead. A programming error, never a client's: a plain Error (500), not an AppError.
 * `what` names the write for the message.
 */
export function requireTransaction(m: EntityManager, what: string): EntityManager {
  if (!m.queryRunner?.isTransactionActive) throw new Error(`${what} must run inside the transaction of what causes it`);
  return m;
}

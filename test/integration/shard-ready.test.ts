import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { seedDemo } from '@app/database/demo-seed';
import { residentUniqueViolation } from '@app/org/resident.service';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { undoMigrationsThrough, useOwnDataSource } from '../support/own-database';

/**
 * Sharding by town (issue 19; docs/ARCHITECTURE.md "Sharding by town"): the migrated schema must be
 * ready for a Citus distribution by `town_id` with no further schema change. Citus is not packaged
 * for these machines, so this test checks, from pg_catalog, the rules Citus itself enforces:
 *   - a distributed table has a NOT NULL distribution column (Citus refuses NULL in it);
 *   - its primary key and every unique constraint or unique index include that column (Citus
 *     can only enforce uniqueness inside one shard);
 *   - a foreign key between distributed tables includes the column on both sides, paired (so both
 *     rows are in the same shard);
 *   - a reference table (copied to every node) has no foreign key to a distributed table.
 * Every table not listed below as a reference table is taken to be distributed by town, so a new
 * table that forgets `town_id` fails here.
 */
const DISTRIBUTION_COLUMN = 'town_id';

const REFERENCE_TABLES: Record<string, string> = {
  towns: 'the distribution key itself: every shard joins its town settings (base score, deadlines, holidays)',
  catalog_versions: 'the published catalogue, shared by every town that adopts it',
  catalog_items: 'the catalogue items (and the few village items) every entry names; read with every entry, written rarely',
  schema_migrations: "TypeORM's bookkeeping of applied migrations: one per database, owned by no town",
  system_heartbeats: 'worker heartbeats, per process and owned by no town',
  staff_users: 'login finds the user by username before any town is known; usernames are unique across towns',
  staff_sessions: 'checked on every staff request before the town is known (ended sessions), keyed by staff',
  refresh_tokens: 'looked up by token hash at refresh, before the town is known; keyed by staff',
  login_failures: 'login throttling by username and client, before any town is known; no town column',
  terminals: "a till's API key is resolved (key prefix) before its town is known, on every terminal call",
  terminal_pairings: 'a pairing code is typed at a till that has no town yet',
};

interface TableInfo {
  name: string;
  townIdNotNull: boolean | null; // null: no town_id column
}
interface KeyInfo {
  table: string;
  name: string;
  kind: 'primary key' | 'unique constraint' | 'unique index' | 'exclusion constraint';
  columns: string[];
}
interface ForeignKeyInfo {
  table: string;
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

async function readSchema(c: Client): Promise<{ tables: TableInfo[]; keys: KeyInfo[]; fks: ForeignKeyInfo[] }> {
  const tables = (
    await c.query<{ name: string; town_id_not_null: boolean | null }>(
      `SELECT t.relname AS name,
              (SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = $1 AND NOT a.attisdropped) AS town_id_not_null
         FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND t.relkind IN ('r', 'p') AND NOT t.relispartition
        ORDER BY t.relname`,
      [DISTRIBUTION_COLUMN],
    )
  ).rows.map((r) => ({ name: r.name, townIdNotNull: r.town_id_not_null }));

  // Unique constraints, primary keys and exclusion constraints, and unique indexes that back no
  // constraint (CREATE UNIQUE INDEX, partial ones included).
  const keys = (
    await c.query<{ table: string; name: string; kind: KeyInfo['kind']; columns: string[] }>(
      `SELECT t.relname AS table, i.relname AS name,
              CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique constraint' WHEN 'x' THEN 'exclusion constraint' ELSE 'unique index' END AS kind,
              ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS u(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = u.attnum ORDER BY u.ord) AS columns
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x')
        WHERE n.nspname = 'public' AND t.relkind IN ('r', 'p') AND (x.indisunique OR k.contype = 'x')
        ORDER BY t.relname, i.relname`,
    )
  ).rows;

  const fks = (
    await c.query<{ table: string; name: string; columns: string[]; ref_table: string; ref_columns: string[] }>(
      `SELECT t.relname AS table, k.conname AS name, rt.relname AS ref_table,
              ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.ord) AS columns,
              ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.ord) AS ref_columns
         FROM pg_constraint k
         JOIN pg_class t ON t.oid = k.conrelid
         JOIN pg_class rt ON rt.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND k.contype = 'f'
        ORDER BY t.relname, k.conname`,
    )
  ).rows.map((r) => ({ table: r.table, name: r.name, columns: r.columns, refTable: r.ref_table, refColumns: r.ref_columns }));
  return { tables, keys, fks };
}

/** Every rule broken by the schema, one line each, naming the table and the constraint. */
function shardingOffences(schema: { tables: TableInfo[]; keys: KeyInfo[]; fks: ForeignKeyInfo[] }): string[] {
  const out: string[] = [];
  const distributed = new Set(schema.tables.filter((t) => !(t.name in REFERENCE_TABLES)).map((t) => t.name));
  for (const t of schema.tables) {
    if (!distributed.has(t.name)) continue;
    if (t.townIdNotNull === null) out.push(`${t.name}: no ${DISTRIBUTION_COLUMN} column`);
    else if (!t.townIdNotNull) out.push(`${t.name}: ${DISTRIBUTION_COLUMN} is nullable`);
    const pk = schema.keys.find((k) => k.table === t.name && k.kind === 'primary key');
    if (!pk) out.push(`${t.name}: no primary key`);
  }
  for (const k of schema.keys) {
    if (distributed.has(k.table) && !k.columns.includes(DISTRIBUTION_COLUMN)) {
      out.push(`${k.table}: ${k.kind} ${k.name} (${k.columns.join(', ')}) lacks ${DISTRIBUTION_COLUMN}`);
    }
  }
  for (const f of schema.fks) {
    const from = distributed.has(f.table);
    const to = distributed.has(f.refTable);
    if (!from && to) out.push(`${f.table}: foreign key ${f.name} from a reference table to distributed ${f.refTable}`);
    if (from && to) {
      const i = f.columns.indexOf(DISTRIBUTION_COLUMN);
      if (i < 0 || f.refColumns[i] !== DISTRIBUTION_COLUMN) {
        out.push(`${f.table}: foreign key ${f.name} (${f.columns.join(', ')}) → ${f.refTable} (${f.refColumns.join(', ')}) does not pair ${DISTRIBUTION_COLUMN} with ${DISTRIBUTION_COLUMN}`);
      }
    }
  }
  return out;
}

describe('schema ready for sharding by town (Citus distribution column town_id)', () => {
  let c: Client;
  let dbName: string;
  const base = () => process.env.DATABASE_URL as string;

  beforeAll(async () => {
    const db = await createTestDatabase(base());
    dbName = db.name;
    c = new Client({ connectionString: db.url });
    await c.connect();
  });
  afterAll(async () => {
    await c?.end();
    if (dbName) await dropTestDatabase(base(), dbName);
  });

  it('every reference table listed exists (the list does not rot)', async () => {
    const { tables } = await readSchema(c);
    const names = new Set(tables.map((t) => t.name));
    expect(Object.keys(REFERENCE_TABLES).filter((t) => !names.has(t))).toEqual([]);
    // And the split is a real one: most tables hold town data.
    expect(tables.length - Object.keys(REFERENCE_TABLES).length).toBeGreaterThan(20);
  });

  it('every distributed table has NOT NULL town_id in its primary key, every unique and every foreign key; no reference table points at one', async () => {
    expect(shardingOffences(await readSchema(c))).toEqual([]);
  });

  it('the checks catch each kind of offence (a table made wrong on purpose)', async () => {
    await c.query(`CREATE TABLE shard_probe_parent (town_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (id, town_id))`);
    await c.query(`CREATE TABLE shard_probe (id uuid PRIMARY KEY, town_id uuid, parent_id uuid, code text UNIQUE)`);
    await c.query(`CREATE UNIQUE INDEX shard_probe_partial ON shard_probe (code) WHERE town_id IS NOT NULL`);
    await c.query(`ALTER TABLE shard_probe_parent ADD CONSTRAINT shard_probe_parent_code UNIQUE (id)`);
    await c.query(`ALTER TABLE shard_probe ADD CONSTRAINT shard_probe_fk FOREIGN KEY (parent_id) REFERENCES shard_probe_parent (id)`);
    await c.query(`ALTER TABLE towns ADD COLUMN probe_parent uuid`);
    await c.query(`ALTER TABLE towns ADD CONSTRAINT towns_probe_fk FOREIGN KEY (probe_parent) REFERENCES shard_probe_parent (id)`);
    try {
      const offences = shardingOffences(await readSchema(c)).filter((o) => o.includes('probe'));
      expect(offences).toEqual(
        expect.arrayContaining([
          'shard_probe: town_id is nullable',
          'shard_probe: primary key shard_probe_pkey (id) lacks town_id',
          'shard_probe: unique constraint shard_probe_code_key (code) lacks town_id',
          'shard_probe: unique index shard_probe_partial (code) lacks town_id',
          'shard_probe_parent: unique constraint shard_probe_parent_code (id) lacks town_id',
          'shard_probe: foreign key shard_probe_fk (parent_id) → shard_probe_parent (id) does not pair town_id with town_id',
          'towns: foreign key towns_probe_fk from a reference table to distributed shard_probe_parent',
        ]),
      );
      expect(offences).toHaveLength(7);
    } finally {
      await c.query(`ALTER TABLE towns DROP COLUMN probe_parent`);
      await c.query(`DROP TABLE shard_probe, shard_probe_parent`);
    }
  });
});

describe('the ShardReady migration on a database that already holds a town', () => {
  const ds = useOwnDataSource('xinyi-test-shard');

  /** Undoes the migrations newer than ShardReady, then ShardReady itself. */
  const undoShardReady = () => undoMigrationsThrough(ds(), 'ShardReady1795499000000');
  const count = async (table: string) => Number((await ds().query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
  /** Every posting's content and hash, in order: the ledger and its chains, as one digest. */
  const ledgerDigest = async () =>
    (await ds().query(`SELECT md5(string_agg(concat_ws('|', id, town_id, account_id, seq, kind, points, source_ref, prev_hash, hash), ',' ORDER BY id)) AS d FROM postings`))[0].d as string;

  it('backfills shop_villages and town-less audit rows, changes no posting, and leaves the append-only triggers on', async () => {
    await seedDemo(ds(), 'test-id-hash-secret');
    // Back to the schema before this migration, with the one kind of town-less audit row the
    // previous release wrote (a reused refresh token, about a staff member).
    await undoShardReady();
    const [staff] = await ds().query(`SELECT id, town_id FROM staff_users WHERE username = 'admin'`);
    await ds().query(`INSERT INTO audit_log (town_id, actor_type, action, target_type, target_id) VALUES (NULL, 'system', 'auth.refresh_reused', 'staff', $1)`, [staff.id]);
    const before = { postings: await count('postings'), shopVillages: await count('shop_villages'), audit: await count('audit_log'), ledger: await ledgerDigest() };
    expect(before.postings).toBeGreaterThan(100);
    expect(before.shopVillages).toBe(2);

    expect((await ds().runMigrations({ transaction: 'each' })).map((m) => m.name)[0]).toBe('ShardReady1795499000000');

    expect({ postings: await count('postings'), shopVillages: await count('shop_villages'), audit: await count('audit_log'), ledger: await ledgerDigest() }).toEqual(before);
    expect(await ds().query(`SELECT count(*)::int AS n FROM shop_villages sv JOIN shops s ON s.id = sv.shop_id WHERE sv.town_id = s.town_id`)).toEqual([{ n: 2 }]);
    expect(await ds().query(`SELECT town_id FROM audit_log WHERE action = 'auth.refresh_reused'`)).toEqual([{ town_id: staff.town_id }]);
    const triggers = await ds().query(`SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal ORDER BY tgname`);
    expect(triggers).toEqual([
      { tgname: 'audit_log_append_only', tgenabled: 'O' },
      { tgname: 'audit_log_no_truncate', tgenabled: 'O' },
    ]);
    await expect(ds().query(`UPDATE audit_log SET action = 'x' WHERE action = 'auth.refresh_reused'`)).rejects.toThrow(/append-only/);
  });

  it('a second resident with the same ID hash or card code in the town is still refused, under its error code', async () => {
    const [r] = await ds().query(`SELECT * FROM residents ORDER BY id LIMIT 1`);
    const copy = (cardCode: string, idHash: string) =>
      ds().query(
        `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active')`,
        [r.town_id, r.village_id, r.household_id, r.name, r.gender, r.birth_year, cardCode, idHash, r.id_last4],
      );
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'inserted',
        (err: unknown) => {
          try {
            residentUniqueViolation(err);
          } catch (e) {
            return (e as { code?: string }).code;
          }
        },
      );
    expect(await codeOf(copy('SHARDTEST1', r.id_hash))).toBe('RESIDENT.DUPLICATE_ID');
    expect(await codeOf(copy(r.card_code, 'f'.repeat(64)))).toBe('RESIDENT.DUPLICATE_CARD_CODE');
  });

  it('refuses, and changes nothing, when the town of an audit row cannot be told', async () => {
    await undoShardReady();
    await ds().query(`INSERT INTO audit_log (town_id, actor_type, action) VALUES (NULL, 'system', 'mystery')`);
    await expect(ds().runMigrations({ transaction: 'each' })).rejects.toThrow(/1 audit_log row\(s\) without a town/);
    expect(await ds().query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'shop_villages' AND column_name = 'town_id'`)).toEqual([{ n: 0 }]);
  });
});

/**
 * Deterministic synthetic town for the benchmarks (bench/run.sh runs it after `migrate`).
 *
 *   node .local/bench-build/bench/generate.js          (DATABASE_URL set; BENCH_* below)
 *
 * - BENCH_SEED (default 20261123): the PRNG seed; the same seed gives the same people, codes and
 *   amounts (ids, password salts and the terminal key differ run to run).
 * - BENCH_VILLAGES × BENCH_RESIDENTS (default 50 × 1,000) plus one 1,500-resident board village,
 *   households of 1–6, a shop serving every village, goods, one terminal, staff of each role.
 * - Finalize: one publicized cycle per village for last month with BENCH_ENTRIES_PER_RESIDENT (2)
 *   approved entries per resident (≈100,000), written straight into the tables as
 *   test/support/bulk.ts does. Their objection window is still open; the finalize scenario moves
 *   it into the past right before it enqueues the jobs (so the worker's start-up reconcile does
 *   not start them early).
 * - Board: the board village's cycle of last month in state `reviewed` (meeting recorded, three
 *   approved entries per resident); the read scenario publishes it over HTTP.
 * - History (BENCH_HISTORY_POSTINGS, default 1,000,000; BENCH_SIZE=county: 10,000,000): postings
 *   for the read scenarios, written by ONE set-based statement (a recursive CTE, one level per
 *   account seq), not through LedgerService. The content is synthetic (items, amounts, times
 *   over the last 24 months) but the hash chains are real: each hash is SHA-256 of the canonical
 *   encoding of docs/LEDGER.md computed in SQL, and the account rows are set to what the
 *   postings say, so `verify-ledger` checks them like any other chain. The generator recomputes a
 *   sample in JS (postingHash) and stops if SQL and JS disagree.
 *
 * Writes the ids and credentials the scenarios need to $BENCH_STATE/town.json.
 */
import 'reflect-metadata';
import '@app/error-codes';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { newApiKey } from '@app/auth/api-key';
import { AuthService } from '@app/auth/auth.service';
import { DEFAULT_CATALOG } from '@app/catalog/default-catalog';
import { GENESIS_HASH, postingHash } from '@app/ledger/posting-hash';
import { DEFAULT_GRADE_THRESHOLDS } from '@app/scoring/grade';
import { type BenchTown, log, pick, previousPeriod, prng, shanghaiPeriod } from './lib';

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗', '于', '宋', '丛', '谷', '毕'];
const GIVEN = ['建国', '志强', '国庆', '伟', '军', '磊', '洪涛', '德明', '春生', '永刚', '秀英', '桂兰', '玉珍', '丽', '敏', '静', '春梅', '红霞', '淑芬', '凤英', '海燕', '立新', '金山', '东升', '雪梅'];
const PLACE = ['柳', '杏', '石', '河', '山', '泉', '松', '槐', '桥', '湾', '岭', '峪', '庄', '屯', '店'];
const PLACE2 = ['家庄', '家村', '口村', '头村', '沟村', '庄村', '西村', '东村', '南村', '北村'];

/** Uncapped `fixed` items of the default catalogue: entries of these never hit a cap or a rule input error. */
export const FIXED_ITEMS = ['T10', 'T11', 'T17', 'T19', 'T22', 'T24', 'T43', 'B02', 'B05', 'B06', 'B11', 'B17'];

export const BENCH_PASSWORD = 'bench-password-2026';

const int = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
};

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  const out = process.env.BENCH_STATE;
  if (!url || !out) throw new Error('DATABASE_URL and BENCH_STATE must be set');
  const size = process.env.BENCH_SIZE === 'county' ? 'county' : 'town';
  const seed = int('BENCH_SEED', 20261123);
  const nVillages = int('BENCH_VILLAGES', 50);
  const perVillage = int('BENCH_RESIDENTS', 1000);
  const perResident = int('BENCH_ENTRIES_PER_RESIDENT', 2);
  const boardResidents = int('BENCH_BOARD_RESIDENTS', 1500);
  const history = int('BENCH_HISTORY_POSTINGS', size === 'county' ? 10_000_000 : 1_000_000);

  const db = new Client({ connectionString: url, application_name: 'bench-generate' });
  await db.connect();
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await work();
    timings[label] = Math.round(performance.now() - t);
    log(`generate: ${label} ${(timings[label] / 1000).toFixed(1)} s`);
    return r;
  };
  try {
    const rnd = prng(seed);
    const now = new Date();
    const currentPeriod = shanghaiPeriod(now);
    const finalizePeriod = previousPeriod(currentPeriod);
    const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query(sql, params)).rows as T[];

    // ---- organisation ----------------------------------------------------------------------
    const [town] = await q<{ id: string }>(`INSERT INTO towns (code, name) VALUES ($1, '基准测试镇') RETURNING id`, [`BENCH${seed}`]);
    const [version] = await q<{ id: string }>(`SELECT id FROM catalog_versions WHERE code = $1`, [DEFAULT_CATALOG.version]);
    if (!version) throw new Error('default catalogue missing: run migrate first');
    await q(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, '2020-01-01')`, [town.id, version.id]);

    const villageSpecs = [
      ...Array.from({ length: nVillages }, (_, i) => ({ code: `V${String(i + 1).padStart(2, '0')}`, name: `${pick(rnd, PLACE)}${pick(rnd, PLACE2)}`, residents: perVillage })),
      { code: 'BIG', name: '大王庄村', residents: boardResidents },
    ];
    const villages: Array<{ id: string; code: string; residents: number }> = [];
    await timed('residents', async () => {
      for (const v of villageSpecs) {
        const [row] = await q<{ id: string }>(`INSERT INTO villages (town_id, code, name) VALUES ($1, $2, $3) RETURNING id`, [town.id, v.code, v.name]);
        villages.push({ id: row.id, code: v.code, residents: v.residents });
        // Households of 1–6 people; residents with PRNG names, card codes <village><serial>.
        const hhOf: number[] = [];
        let hh = 0;
        while (hhOf.length < v.residents) {
          const n = 1 + Math.floor(rnd() * 6);
          for (let k = 0; k < n && hhOf.length < v.residents; k++) hhOf.push(hh);
          hh++;
        }
        const households = await q<{ id: string; code: string }>(
          `INSERT INTO households (town_id, village_id, code) SELECT $1, $2, unnest($3::text[]) RETURNING id, code`,
          [town.id, row.id, Array.from({ length: hh }, (_, k) => `${v.code}-${String(k + 1).padStart(4, '0')}`)],
        );
        const hhId = new Map(households.map((h) => [h.code, h.id]));
        const cols = { hh: [] as string[], name: [] as string[], gender: [] as string[], birth: [] as number[], card: [] as string[], idHash: [] as string[], last4: [] as string[] };
        for (let i = 0; i < v.residents; i++) {
          cols.hh.push(hhId.get(`${v.code}-${String(hhOf[i] + 1).padStart(4, '0')}`) as string);
          cols.name.push(`${pick(rnd, SURNAMES)}${pick(rnd, GIVEN)}`);
          cols.gender.push(rnd() < 0.5 ? 'M' : 'F');
          cols.birth.push(1935 + Math.floor(rnd() * 75));
          const card = `${v.code}${String(i + 1).padStart(5, '0')}`;
          cols.card.push(card);
          cols.idHash.push(createHash('sha256').update(`${seed}:${card}`).digest('hex'));
          cols.last4.push(String(Math.floor(rnd() * 10_000)).padStart(4, '0'));
        }
        await q(
          `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
           SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[])`,
          [town.id, row.id, cols.hh, cols.name, cols.gender, cols.birth, cols.card, cols.idHash, cols.last4],
        );
      }
      await q(
        `INSERT INTO resident_status_events (town_id, resident_id, from_status, to_status, effective_on, reason)
         SELECT town_id, id, NULL, 'active', '2020-01-01', '基准测试数据 / bench seed' FROM residents WHERE town_id = $1`,
        [town.id],
      );
    });

    // ---- shop, goods, terminal, staff --------------------------------------------------------
    const shopCode = 'BENCHSHOP';
    const [shop] = await q<{ id: string }>(`INSERT INTO shops (town_id, code, name) VALUES ($1, $2, '镇信义超市') RETURNING id`, [town.id, shopCode]);
    await q(`INSERT INTO shop_villages (shop_id, village_id, town_id) SELECT $1, unnest($2::uuid[]), $3`, [shop.id, villages.map((v) => v.id), town.id]);
    const goodsSpecs: Array<[string, string, number, number]> = [
      ['花生油 5L', '桶', 10, 2_000_000_000],
      ['洗衣粉', '袋', 5, 1_000_000_000],
      ['大米 10kg', '袋', 12, 1_000_000_000],
      ['毛巾', '条', 8, 1_000_000_000],
      ['牙膏', '支', 6, 1_000_000_000],
      ['酱油', '瓶', 7, 1_000_000_000],
      ['面粉 5kg', '袋', 9, 1_000_000_000],
      ['洗洁精', '瓶', 11, 1_000_000_000],
      ['食盐', '袋', 13, 1_000_000_000],
    ];
    const goods = await q<{ id: string }>(
      `INSERT INTO goods (town_id, shop_id, name, unit, price_points, stock)
       SELECT $1, $2, g.name, g.unit, g.price, g.stock FROM unnest($3::text[], $4::text[], $5::int[], $6::int[]) AS g(name, unit, price, stock) RETURNING id`,
      [town.id, shop.id, goodsSpecs.map((g) => g[0]), goodsSpecs.map((g) => g[1]), goodsSpecs.map((g) => g[2]), goodsSpecs.map((g) => g[3])],
    );
    const hot = (await q<{ id: string }>(`SELECT id FROM goods WHERE shop_id = $1 AND name = $2`, [shop.id, goodsSpecs[0][0]]))[0].id;
    const spread = (await q<{ id: string }>(`SELECT id FROM goods WHERE shop_id = $1 AND id <> $2 ORDER BY name`, [shop.id, hot])).map((g) => g.id);
    if (goods.length !== goodsSpecs.length) throw new Error('goods not created');
    await q(
      `INSERT INTO stock_movements (town_id, shop_id, goods_id, kind, quantity, reason, actor)
       SELECT town_id, shop_id, id, 'received', stock, '基准测试入库', 'bench' FROM goods WHERE shop_id = $1`,
      [shop.id],
    );
    const key = newApiKey();
    await q(`INSERT INTO terminals (town_id, shop_id, name, key_prefix, key_hash) VALUES ($1, $2, '基准测试收银台', $3, $4)`, [town.id, shop.id, key.prefix, key.hash]);

    const passwordHash = await AuthService.hashPassword(BENCH_PASSWORD);
    const big = villages[villages.length - 1];
    const townVillages = villages.slice(0, -1);
    const uploadVillages = townVillages.slice(-4).map((v) => v.id);
    const users = { admin: `bench.admin.${seed}`, auditor: `bench.auditor.${seed}`, reviewer: `bench.reviewer.${seed}`, shopClerk: `bench.shop.${seed}`, clerks: {} as Record<string, string> };
    // [username, role, village, shop]
    const staff: Array<[string, string, string | null, string | null]> = [
      [users.admin, 'town_admin', null, null],
      [users.auditor, 'auditor', null, null],
      [users.reviewer, 'village_reviewer', big.id, null],
      [users.shopClerk, 'shop_clerk', null, shop.id],
    ];
    for (const v of townVillages.filter((x) => uploadVillages.includes(x.id))) {
      users.clerks[v.id] = `bench.clerk.${v.code.toLowerCase()}.${seed}`;
      staff.push([users.clerks[v.id], 'village_clerk', v.id, null]);
    }
    const staffIds = await q<{ id: string; username: string }>(
      `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, village_id, shop_id)
       SELECT u, u, $1, r, $2, v, sh FROM unnest($3::text[], $4::text[], $5::uuid[], $6::uuid[]) AS s(u, r, v, sh) RETURNING id, username`,
      [passwordHash, town.id, staff.map((s) => s[0]), staff.map((s) => s[1]), staff.map((s) => s[2]), staff.map((s) => s[3])],
    );
    const adminId = staffIds.find((s) => s.username === users.admin)?.id as string;
    const reviewerId = staffIds.find((s) => s.username === users.reviewer)?.id as string;

    // ---- history: postings with real hash chains, one set-based statement --------------------
    const ratingYear = Number(currentPeriod.slice(0, 4));
    const items = await q<{ code: string; points: number; name: string }>(
      `SELECT code, sign * (rule->>'points')::int AS points, name FROM catalog_items WHERE version_id = $1 AND code = ANY($2::text[]) ORDER BY code`,
      [version.id, FIXED_ITEMS],
    );
    let historyPostings = 0;
    if (history > 0) {
      historyPostings = await timed('history postings (set-based, hash chains in SQL)', () => writeHistory(db, town.id, shop.id, history, items, now));
      await timed('accounts from history', () => accountsFromHistory(db, town.id, ratingYear));
      await timed('history check (JS recomputes sample hashes)', () => checkSample(db, town.id));
    }

    // ---- finalize: publicized cycles of last month, approved entries -------------------------
    const finalizeEntries = await timed('finalize cycles and entries', async () => {
      await q(
        `INSERT INTO review_cycles (town_id, village_id, period, state, closed_at, reviewed_at, published_at, window_ends_at)
         SELECT $1, unnest($2::uuid[]), $3, 'publicized', now(), now(), now(), now() + interval '1 day'`,
        [town.id, townVillages.map((v) => v.id), finalizePeriod],
      );
      return seedEntries(db, town.id, townVillages.map((v) => v.id), finalizePeriod, perResident, version.id, adminId);
    });
    const cycles = await q<{ id: string; village_id: string }>(`SELECT id, village_id FROM review_cycles WHERE town_id = $1 AND period = $2`, [town.id, finalizePeriod]);
    const cycleOf = new Map(cycles.map((c) => [c.village_id, c.id]));

    // ---- board village: a reviewed cycle the scenario publishes over HTTP ----------------------
    const boardEntries = await timed('board village cycle', async () => {
      const [c] = await q<{ id: string }>(
        `INSERT INTO review_cycles (town_id, village_id, period, state, closed_at, reviewed_at) VALUES ($1, $2, $3, 'reviewed', now(), now()) RETURNING id`,
        [town.id, big.id, finalizePeriod],
      );
      await q(
        `INSERT INTO review_meetings (town_id, cycle_id, held_on, attendees, minutes, recorded_by) VALUES ($1, $2, $3, $4, '基准测试议事会', $5)`,
        [town.id, c.id, `${finalizePeriod}-28`, JSON.stringify(['村支书', '议事会成员甲', '议事会成员乙']), reviewerId],
      );
      return seedEntries(db, town.id, [big.id], finalizePeriod, 3, version.id, adminId);
    });

    await timed('vacuum analyze', async () => {
      for (const t of ['postings', 'accounts', 'residents', 'deed_entries', 'entry_states', 'review_cycles']) await db.query(`VACUUM (ANALYZE) ${t}`);
    });
    // The generation wrote gigabytes of WAL (10 M postings at county size): without this the
    // checkpoint it started is still writing them out, in PostgreSQL's own processes, while the
    // first scenarios run, and their PostgreSQL CPU is the generator's.
    await timed('checkpoint', async () => {
      await db.query('CHECKPOINT');
    });

    const result: BenchTown = {
      seed,
      size,
      townId: town.id,
      townCode: `BENCH${seed}`,
      finalizePeriod,
      currentPeriod,
      villages: villages.map((v) => ({ ...v, cycleId: cycleOf.get(v.id) ?? null })),
      boardVillage: { id: big.id, code: big.code, residents: big.residents, period: finalizePeriod, entries: boardEntries },
      uploadVillages,
      shop: { id: shop.id, code: shopCode },
      goods: { hot, spread },
      terminalKey: key.key,
      password: BENCH_PASSWORD,
      users,
      finalizeEntries,
      historyPostings,
      timings,
    };
    writeFileSync(`${out}/town.json`, JSON.stringify(result, null, 2));
    log(`generate: town ${result.townCode}: ${villages.length} villages, ${villages.reduce((s, v) => s + v.residents, 0)} residents, ${finalizeEntries} entries to finalize, ${historyPostings} history postings`);
  } finally {
    await db.end();
  }
}

/** `perResident` approved entries of uncapped fixed items per resident of `villageIds` for `period`. */
async function seedEntries(db: Client, townId: string, villageIds: string[], period: string, perResident: number, versionId: string, enteredBy: string): Promise<number> {
  const r = await db.query(
    `WITH items AS (
       SELECT (row_number() OVER (ORDER BY code) - 1)::int AS k, id, code, sign * (rule->>'points')::int AS points
         FROM catalog_items WHERE version_id = $6 AND code = ANY($7::text[])),
     r AS (SELECT id, village_id, (row_number() OVER (ORDER BY card_code))::int AS rn FROM residents WHERE town_id = $1 AND village_id = ANY($2::uuid[])),
     e AS (
       INSERT INTO deed_entries (town_id, village_id, resident_id, item_id, item_code, period, occurred_on, points, explanation, request_hash, entered_by, record_no)
       SELECT $1, r.village_id, r.id, i.id, i.code, $3, ($3 || '-01')::date + ((r.rn + g) % 28), i.points,
              jsonb_build_object('codes', jsonb_build_array('FIXED'), 'text', i.points::text), md5(r.id::text || ':' || g), $5,
              v.code || '-' || substr($3, 3, 2) || substr($3, 6, 2) || '-' || lpad((row_number() OVER (PARTITION BY r.village_id))::text, greatest(4, length((row_number() OVER (PARTITION BY r.village_id))::text)), '0')
         FROM r CROSS JOIN generate_series(1, $4) AS g
         JOIN items i ON i.k = (r.rn * 7 + g * 3) % (SELECT count(*) FROM items)
         JOIN villages v ON v.id = r.village_id
       RETURNING id, village_id, points),
     s AS (INSERT INTO entry_states (entry_id, town_id, village_id, period, status, final_points)
       SELECT id, $1, village_id, $3, 'approved', points FROM e RETURNING village_id)
     INSERT INTO record_counters (village_id, period, town_id, last_seq) SELECT village_id, $3, $1, count(*) FROM s GROUP BY village_id`,
    [townId, villageIds, period, perResident, enteredBy, versionId, FIXED_ITEMS],
  );
  void r;
  const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM entry_states WHERE town_id = $1 AND period = $2 AND village_id = ANY($3::uuid[])`, [townId, period, villageIds])).rows;
  return n;
}

/**
 * The history: each of the town's residents gets ⌊n/A⌋ (or one more) postings, seq 1…k, spread
 * over the 24 months before this one. One INSERT … SELECT over a recursive CTE whose level k
 * computes every account's seq-k posting from its seq-(k-1) row, so prev_hash is the real
 * previous hash. Canonical encoding as posting-hash.ts: a JSON array, no spaces.
 */
export async function writeHistory(db: Client, townId: string, shopId: string, n: number, items: Array<{ code: string; points: number; name: string }>, now: Date, table = 'postings'): Promise<number> {
  const [{ a }] = (await db.query(`SELECT count(*)::int AS a FROM residents WHERE town_id = $1`, [townId])).rows;
  const base = Math.floor(n / a);
  const extra = n - base * a;
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 24, 1);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 86_400_000;
  // One "level" (seq) every step ms; within a level, accounts differ by up to ~1 h (always < step).
  const step = Math.floor((end - start) / (base + 1));
  if (step < 3_700_000) throw new Error('too many history postings per account for 24 months');
  // The fields of the posting at (rn, seq): kind, points, source, item… from rn and seq only.
  const fields = (seq: string) => `
    SELECT x.kind, x.points, x.source_ref, x.counterparty, x.item_code, x.memo, x.posted_at,
           to_char(x.posted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS period,
           to_char(x.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso
      FROM (SELECT CASE WHEN red THEN 'redemption' ELSE 'deed' END AS kind,
                   CASE WHEN red THEN -5 * (1 + (a.rn + ${seq}) % 6) ELSE ($7::int[])[k + 1] END AS points,
                   'hist:' || a.rn || ':' || ${seq} AS source_ref,
                   CASE WHEN red THEN 'shop:' || $5 ELSE 'town:' || $1 END AS counterparty,
                   CASE WHEN red THEN NULL ELSE ($6::text[])[k + 1] END AS item_code,
                   CASE WHEN red THEN 'HIST-' || a.rn || '-' || ${seq} ELSE ($8::text[])[k + 1] END AS memo,
                   'epoch'::timestamptz + ($4::bigint + (${seq} - 1)::bigint * $9::bigint + (a.rn % 3600) * 1000 + a.rn % 997) * interval '1 millisecond' AS posted_at
              FROM (SELECT (a.rn * 31 + ${seq} * 17) % 20 < 3 AS red, (a.rn * 7 + ${seq} * 13) % $10 AS k) s) x`;
  const canonical = `'["xinyi-posting-v1",' || to_json(a.account_id::text)::text || ',' || s AS_SEQ || ',' || to_json(f.kind)::text || ',' || f.points || ','
      || to_json(f.source_ref)::text || ',' || to_json(f.counterparty)::text || ',' || to_json(f.period)::text || ','
      || coalesce(to_json(f.item_code)::text, 'null') || ',' || coalesce(to_json(f.memo)::text, 'null') || ',' || to_json(f.iso)::text || ','
      || to_json(PREV::text)::text || ']'`;
  const hashOf = (seqExpr: string, prev: string) => `encode(sha256(convert_to(${canonical.replace('s AS_SEQ', seqExpr).replace('PREV', prev)}, 'UTF8')), 'hex')`;
  const sql = `
    WITH RECURSIVE acc AS (
      SELECT id AS account_id, village_id, (row_number() OVER (ORDER BY id))::int AS rn FROM residents WHERE town_id = $1
    ), chain AS (
      SELECT a.account_id, a.village_id, a.rn, 1 AS seq, f.kind, f.points, f.source_ref, f.counterparty, f.period, f.item_code, f.memo, f.posted_at,
             $11::text AS prev_hash, ${hashOf('1', '$11')} AS hash
        FROM acc a CROSS JOIN LATERAL (${fields('1')}) f
       WHERE $2::int + CASE WHEN a.rn <= $3 THEN 1 ELSE 0 END >= 1
      UNION ALL
      SELECT a.account_id, a.village_id, a.rn, a.seq + 1, f.kind, f.points, f.source_ref, f.counterparty, f.period, f.item_code, f.memo, f.posted_at,
             a.hash, ${hashOf('(a.seq + 1)', 'a.hash')}
        FROM chain a CROSS JOIN LATERAL (${fields('(a.seq + 1)')}) f
       WHERE a.seq < $2::int + CASE WHEN a.rn <= $3 THEN 1 ELSE 0 END
    )
    INSERT INTO ${table} (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
    SELECT $1, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash FROM chain`;
  const params = [townId, base, extra, start, shopId, items.map((i) => i.code), items.map((i) => i.points), items.map((i) => i.name), step, items.length, GENESIS_HASH];
  if (table !== 'postings') return (await db.query(sql, params)).rowCount ?? 0;
  // Bulk load: building the secondary indexes once after the insert is ~2× faster than keeping
  // nine of them up to date row by row. The definitions are put back exactly (checked below).
  const before = await postingIndexes(db);
  const dropped = before.filter((i) => !i.primary);
  await db.query('BEGIN');
  try {
    for (const i of dropped) await db.query(i.constraint ? `ALTER TABLE postings DROP CONSTRAINT "${i.constraint}"` : `DROP INDEX "${i.name}"`);
    const r = await db.query(sql, params);
    await db.query(`SET LOCAL maintenance_work_mem = '1GB'`);
    for (const i of dropped) {
      await db.query(i.constraint ? `ALTER TABLE postings ADD CONSTRAINT "${i.constraint}" ${i.constraintDef}` : i.def);
    }
    await db.query('COMMIT');
    const after = await postingIndexes(db);
    const key = (xs: typeof before) => JSON.stringify(xs.map((x) => [x.name, x.def, x.constraint, x.constraintDef]).sort());
    if (key(before) !== key(after)) throw new Error(`postings indexes differ after the bulk load:\n${key(before)}\n${key(after)}`);
    return r.rowCount ?? 0;
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

async function postingIndexes(db: Client): Promise<Array<{ name: string; def: string; primary: boolean; constraint: string | null; constraintDef: string | null }>> {
  const r = await db.query(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisprimary AS primary, k.conname AS constraint, pg_get_constraintdef(k.oid) AS "constraintDef"
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
      WHERE i.indrelid = 'postings'::regclass ORDER BY c.relname`,
  );
  return r.rows;
}

/** Account rows exactly as the postings say (what the ledger's projection would hold). */
async function accountsFromHistory(db: Client, townId: string, ratingYear: number): Promise<void> {
  await db.query(
    `WITH agg AS (
       SELECT account_id, sum(points)::int AS balance, max(seq) AS seq,
              coalesce(sum(points) FILTER (WHERE kind IN ('deed', 'correction') AND left(period, 4)::int = $2), 0)::int AS credit
         FROM postings WHERE town_id = $1 GROUP BY account_id),
     s AS (
       SELECT a.account_id, r.village_id, a.balance, t.base_score + a.credit AS score, a.seq
         FROM agg a JOIN residents r ON r.id = a.account_id JOIN towns t ON t.id = r.town_id)
     INSERT INTO accounts (resident_id, town_id, village_id, balance, credit_score, grade, rating_year, seq, head_hash)
     SELECT s.account_id, $1, s.village_id, s.balance, s.score,
            (SELECT g.grade FROM jsonb_to_recordset($3::jsonb) AS g(grade text, min bigint) WHERE s.score >= g.min ORDER BY g.min DESC LIMIT 1),
            $2, s.seq, p.hash
       FROM s JOIN postings p ON p.account_id = s.account_id AND p.seq = s.seq
      -- Village by village, as the service opens them (postBatch per village at a month end), so
      -- a page holds one village's accounts and a village's month end updates whole pages.
      ORDER BY s.village_id, s.account_id`,
    [townId, ratingYear, JSON.stringify(DEFAULT_GRADE_THRESHOLDS)],
  );
}

/** Recomputes a sample of history hashes with the service's own postingHash: SQL and JS must agree. */
async function checkSample(db: Client, townId: string): Promise<void> {
  const rows = (
    await db.query(
      `SELECT account_id AS "accountId", seq, kind, points, source_ref AS "sourceRef", counterparty, period, item_code AS "itemCode", memo,
              posted_at AS "postedAt", prev_hash AS "prevHash", hash
         FROM postings WHERE town_id = $1 AND (seq <= 2 OR seq % 50 = 0) ORDER BY account_id, seq LIMIT 200`,
      [townId],
    )
  ).rows;
  for (const p of rows) {
    const js = postingHash(p);
    if (js !== p.hash) throw new Error(`history hash differs from postingHash at ${p.accountId} seq ${p.seq}: SQL ${p.hash}, JS ${js}`);
  }
  if (rows.length === 0) throw new Error('no history postings to check');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

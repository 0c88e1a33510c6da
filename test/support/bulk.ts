import type { DataSource } from 'typeorm';

/**
 * A publicized cycle whose objection window has ended, with `residents × perResident` approved
 * entries of the fixed item T10 (+5), written straight into the tables: what finalize finds
 * after a real month. For fault and load tests; the HTTP path is covered end to end elsewhere.
 */
export async function seedPublishedCycle(db: DataSource, townId: string, villageId: string, period: string, residents: number, perResident: number): Promise<{ cycleId: string; entries: number }> {
  const [hh] = await db.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, 'BULK') RETURNING id`, [townId, villageId]);
  await db.query(
    `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
     SELECT $1, $2::uuid, $3, '批量' || g, 'M', 1970, 'BK' || lpad(g::text, 8, '0') || upper(substr(md5($2::uuid::text), 1, 6)), md5($2::uuid::text || g), '0000'
     FROM generate_series(1, $4) AS g`,
    [townId, villageId, hh.id, residents],
  );
  const [item] = await db.query(
    `SELECT i.id FROM catalog_items i JOIN catalog_adoptions a ON a.version_id = i.version_id WHERE a.town_id = $1 AND i.code = 'T10' LIMIT 1`,
    [townId],
  );
  const [cycle] = await db.query(
    `INSERT INTO review_cycles (town_id, village_id, period, state, closed_at, reviewed_at, published_at, window_ends_at)
     VALUES ($1, $2, $3, 'publicized', now(), now(), now(), now() - interval '1 second') RETURNING id`,
    [townId, villageId, period],
  );
  const [{ n }] = await db.query(
    `WITH r AS (SELECT id FROM residents WHERE household_id = $5),
     e AS (
       INSERT INTO deed_entries (town_id, village_id, resident_id, item_id, item_code, period, occurred_on, points, explanation, request_hash, entered_by, record_no)
       SELECT $1, $2, r.id, $3, 'T10', $4, ($4 || '-01')::date, 5, '{"codes":["FIXED"],"text":"+5"}'::jsonb, md5(r.id::text || g), $1,
              (SELECT code FROM villages WHERE id = $2) || '-' || substr($4, 3, 2) || substr($4, 6, 2) || '-' || lpad((row_number() OVER ())::text, greatest(4, length((row_number() OVER ())::text)), '0')
       FROM r CROSS JOIN generate_series(1, $6) AS g RETURNING id)
     INSERT INTO entry_states (entry_id, town_id, village_id, period, status, final_points)
     SELECT id, $1, $2, $4, 'approved', 5 FROM e RETURNING 1`,
    [townId, villageId, item.id, period, hh.id, perResident],
  ).then((rows: unknown[]) => [{ n: rows.length }]);
  await db.query(`INSERT INTO record_counters (village_id, period, town_id, last_seq) VALUES ($1, $2, $3, $4)`, [villageId, period, townId, n]);
  return { cycleId: cycle.id, entries: n };
}

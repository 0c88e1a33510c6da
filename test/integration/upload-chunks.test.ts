import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '@app/common/time';
import { INSERT_CHUNK } from '@app/entries/entries.repository';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/**
 * An upload of more rows than one INSERT carries (EntriesRepository.insertEntries writes
 * INSERT_CHUNK rows a statement): stored as one statement of each kind would store it. Record
 * numbers follow the file's rows without a gap, a likely duplicate in a later chunk points at its
 * entry in the first, the events come all 'submitted' first and then the 'flagged_duplicate'
 * ones, each in row order, and the dashboard's totals count every row once.
 */
describe('an upload larger than one insert chunk', () => {
  const ROWS = INSERT_CHUNK + 500;
  const PEOPLE = 1_200;
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let people: Array<{ card: string; name: string }>;
  const today = shanghaiDate(new Date());

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
    t = await bearers(stack.http, f);
    const [hh] = await stack.db.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, 'CHK') RETURNING id`, [f.townId, f.villageA]);
    people = await stack.db.query(
      `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
       SELECT $1, $2, $3, '村民' || g, 'M', 1970, 'CHK' || lpad(g::text, 6, '0'), md5('chk' || g), '0000' FROM generate_series(1, ${PEOPLE}) AS g
       ORDER BY g RETURNING card_code AS card, name`,
      [f.townId, f.villageA, hh.id],
    );
  });
  afterAll(async () => stack?.close());

  it('stores every row in file order, duplicates across chunks linked, events in one order', { timeout: 120_000 }, async () => {
    // Rows 0–1199 T10, 1200–2399 T11, 2400–2499 T10 again: the last 100 repeat rows 0–99 (same
    // resident, item and day), from the second chunk back into the first.
    const lines = Array.from({ length: ROWS }, (_, k) => {
      const p = people[k % PEOPLE];
      return `${p.card},${p.name},${Math.floor(k / PEOPLE) === 1 ? 'T11' : 'T10'},${today},,,,第 ${k} 条`;
    });
    const file = Buffer.from(['卡号,姓名,事项编码,发生日期,数量,分值,理由,证据说明', ...lines].join('\r\n') + '\r\n', 'utf8');
    const res = await request(stack.http).post(`/api/v1/villages/${f.villageA}/entries/upload`).set('authorization', t.village_clerk).attach('file', file, 'big.csv');
    expect([res.status, res.body.created, res.body.flaggedDuplicates]).toEqual([201, ROWS, ROWS - 2 * PEOPLE]);

    const stored: Array<{ id: string; k: number; recordNo: string; duplicateOf: string | null }> = await stack.db.query(
      `SELECT e.id, substring(e.evidence_note FROM '第 (\\d+) 条')::int AS k, e.record_no AS "recordNo", s.duplicate_of AS "duplicateOf"
         FROM deed_entries e JOIN entry_states s ON s.entry_id = e.id WHERE e.batch_id = $1 ORDER BY k`,
      [res.body.batchId],
    );
    expect(stored.map((s) => s.k)).toEqual(Array.from({ length: ROWS }, (_, k) => k));
    expect(stored.map((s) => Number(s.recordNo.split('-')[2]))).toEqual(Array.from({ length: ROWS }, (_, k) => k + 1));
    const dups = stored.filter((s) => s.duplicateOf !== null);
    expect(dups.map((s) => s.k)).toEqual(Array.from({ length: ROWS - 2 * PEOPLE }, (_, k) => 2 * PEOPLE + k));
    expect(dups.every((s) => s.duplicateOf === stored[s.k - 2 * PEOPLE].id)).toBe(true);

    const events: Array<{ entryId: string; type: string }> = await stack.db.query(
      `SELECT entry_id AS "entryId", type FROM entry_events WHERE entry_id IN (SELECT id FROM deed_entries WHERE batch_id = $1) ORDER BY id`,
      [res.body.batchId],
    );
    const order = new Map(stored.map((s) => [s.id, s.k]));
    expect(events.map((e) => [e.type, order.get(e.entryId)])).toEqual([
      ...stored.map((s) => ['submitted', s.k]),
      ...dups.map((s) => ['flagged_duplicate', s.k]),
    ]);

    const [totals] = await stack.db.query(`SELECT sum(entries)::int AS entries FROM dashboard_entry_totals WHERE village_id = $1`, [f.villageA]);
    expect(totals.entries).toBe(ROWS);
  });
});

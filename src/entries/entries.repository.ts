import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows, type Db } from '@app/database/sql';
import type { ItemCaps, Rule, Explanation } from '@app/scoring/rules/rule.types';
import type { EntryEventType, EntryStatus } from './entry.entities';
import { formatRecordNumber } from './record-number';

/**
 * Rows per INSERT of `insertEntries`. pg builds each statement whole (every array parameter as
 * one text literal, then one message buffer grown by half again each time it is full): for all
 * 20,000 rows of the largest upload at once that was ≈ 25 MB of buffers outside the heap, at the
 * top of the upload's own memory. 2,000 rows is 10 statements of each kind instead.
 */
export const INSERT_CHUNK = 2_000;

export interface ResidentForEntry {
  id: string;
  townId: string;
  villageId: string;
  name: string;
  cardCode: string;
  status: string;
}

export interface ItemVersion {
  id: string;
  code: string;
  name: string;
  category: string;
  sign: 1 | -1;
  rule: Rule;
  caps: ItemCaps | null;
}

/** Standing (not rejected, not withdrawn) entries of one resident and item. */
export interface StandingEntry {
  id: string;
  residentId: string;
  itemCode: string;
  period: string;
  occurredOn: string;
  quantity: number | null;
  chosenPoints: number | null;
  points: number;
}

export interface NewEntryRow {
  id: string;
  townId: string;
  villageId: string;
  residentId: string;
  itemId: string;
  itemCode: string;
  period: string;
  occurredOn: string;
  quantity: number | null;
  chosenPoints: number | null;
  points: number;
  explanation: Explanation;
  reason: string | null;
  evidenceNote: string | null;
  idempotencyKey: string | null;
  requestHash: string;
  batchId: string | null;
  enteredBy: string;
  duplicateOf: string | null;
}

export interface EntryView {
  id: string;
  villageId: string;
  residentId: string;
  residentName: string;
  cardCode: string;
  itemCode: string;
  itemName: string;
  category: string;
  period: string;
  occurredOn: string;
  /** 补录: the deed's month was already closed, so it went to a later period. */
  late: boolean;
  quantity: number | null;
  chosenPoints: number | null;
  points: number;
  finalPoints: number | null;
  explanation: Explanation;
  reason: string | null;
  evidenceNote: string | null;
  status: EntryStatus;
  disputed: boolean;
  duplicateOf: string | null;
  enteredBy: string;
  enteredAt: Date;
  requestHash: string;
  idempotencyKey: string | null;
  /** 记录编号, e.g. DC-2611-0042. */
  recordNo: string;
}

const ENTRY_VIEW = `SELECT e.id, e.village_id AS "villageId", e.resident_id AS "residentId", r.name AS "residentName", r.card_code AS "cardCode",
    e.item_code AS "itemCode", i.name AS "itemName", i.category, e.period, to_char(e.occurred_on, 'YYYY-MM-DD') AS "occurredOn",
    e.period <> to_char(e.occurred_on, 'YYYY-MM') AS late, e.quantity::float8 AS quantity, e.chosen_points AS "chosenPoints", e.points, s.final_points AS "finalPoints", e.explanation,
    e.reason, e.evidence_note AS "evidenceNote", s.status, s.disputed, s.duplicate_of AS "duplicateOf",
    e.entered_by AS "enteredBy", e.entered_at AS "enteredAt", e.request_hash AS "requestHash", e.idempotency_key AS "idempotencyKey",
    e.record_no AS "recordNo"
  FROM deed_entries e
  JOIN entry_states s ON s.entry_id = e.id
  JOIN residents r ON r.id = e.resident_id
  JOIN catalog_items i ON i.id = e.item_id`;

@Injectable()
export class EntriesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction (the feature's only way to open one). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Runs `fn` in a READ ONLY transaction: PostgreSQL itself refuses any write in it, which is
   * what a preview promises (it must leave no cycle, entry or event behind).
   */
  async readOnly<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      await m.query('SET TRANSACTION READ ONLY');
      return fn(m);
    });
  }

  async findResidentsById(ids: string[]): Promise<ResidentForEntry[]> {
    return this.db.query(
      `SELECT id, town_id AS "townId", village_id AS "villageId", name, card_code AS "cardCode", status FROM residents WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  async findResidentsByCardCode(cardCodes: string[]): Promise<ResidentForEntry[]> {
    return this.db.query(
      `SELECT id, town_id AS "townId", village_id AS "villageId", name, card_code AS "cardCode", status FROM residents WHERE card_code = ANY($1::text[])`,
      [cardCodes],
    );
  }

  /**
   * The exact item versions a village may score on a date: the town's catalogue version in
   * force (latest adoption on or before the date) plus the village's own items not retired by then.
   */
  async findItemsInForce(m: EntityManager | DataSource, townId: string, villageId: string, onDate: string, codes: string[]): Promise<ItemVersion[]> {
    return m.query(
      `WITH v AS (
         SELECT version_id FROM catalog_adoptions WHERE town_id = $1 AND effective_from <= $3::date
         ORDER BY effective_from DESC LIMIT 1)
       SELECT i.id, i.code, i.name, i.category, i.sign, i.rule, i.caps
       FROM catalog_items i
       WHERE i.code = ANY($4::text[]) AND (i.version_id = (SELECT version_id FROM v) OR i.village_id = $2)
         AND NOT EXISTS (SELECT 1 FROM catalog_item_retirements r WHERE r.item_id = i.id AND r.retired_on <= $3::date)`,
      [townId, villageId, onDate, codes],
    );
  }

  /**
   * Every item a village (or, with `villageId` null, the town) may score on a date, by code: for
   * resolving item names in uploads and for the template's catalogue sheet (town items first,
   * trust before breach, as the catalogue lists them; then the village's own).
   */
  async listItemsInForce(townId: string, villageId: string | null, onDate: string): Promise<ItemVersion[]> {
    return this.db.query(
      `WITH v AS (
         SELECT version_id FROM catalog_adoptions WHERE town_id = $1 AND effective_from <= $3::date
         ORDER BY effective_from DESC LIMIT 1)
       SELECT i.id, i.code, i.name, i.category, i.sign, i.rule, i.caps
       FROM catalog_items i
       WHERE (i.version_id = (SELECT version_id FROM v) OR ($2::uuid IS NOT NULL AND i.village_id = $2::uuid))
         AND NOT EXISTS (SELECT 1 FROM catalog_item_retirements r WHERE r.item_id = i.id AND r.retired_on <= $3::date)
       ORDER BY i.village_id IS NOT NULL, i.sign DESC, i.code`,
      [townId, villageId, onDate],
    );
  }

  /** Standing entries of these residents for these items in the rating year up to `toPeriod`. */
  async findStandingEntries(m: EntityManager | DataSource, residentIds: string[], itemCodes: string[], fromPeriod: string, toPeriod: string): Promise<StandingEntry[]> {
    return m.query(
      `SELECT e.id, e.resident_id AS "residentId", e.item_code AS "itemCode", e.period, to_char(e.occurred_on, 'YYYY-MM-DD') AS "occurredOn",
              e.quantity::float8 AS quantity, e.chosen_points AS "chosenPoints", COALESCE(s.final_points, e.points) AS points
       FROM deed_entries e JOIN entry_states s ON s.entry_id = e.id
       WHERE e.resident_id = ANY($1::uuid[]) AND e.item_code = ANY($2::text[]) AND e.period BETWEEN $3 AND $4
         AND s.status NOT IN ('rejected', 'withdrawn')`,
      [residentIds, itemCodes, fromPeriod, toPeriod],
    );
  }

  async findByIdempotencyKey(villageId: string, key: string, m: Db = this.db): Promise<EntryView | null> {
    const rows: EntryView[] = await m.query(`${ENTRY_VIEW} WHERE e.village_id = $1 AND e.idempotency_key = $2`, [villageId, key]);
    return rows[0] ?? null;
  }

  async findEntry(id: string): Promise<EntryView | null> {
    const rows: EntryView[] = await this.db.query(`${ENTRY_VIEW} WHERE e.id = $1`, [id]);
    return rows[0] ?? null;
  }

  async listEntries(f: { villageId: string; period: string; status?: string; residentId?: string; itemCode?: string; after?: string; limit: number }): Promise<EntryView[]> {
    const where = ['e.village_id = $1', 'e.period = $2'];
    const params: unknown[] = [f.villageId, f.period];
    if (f.status) where.push(`s.status = $${params.push(f.status)}`);
    if (f.residentId) where.push(`e.resident_id = $${params.push(f.residentId)}`);
    if (f.itemCode) where.push(`e.item_code = $${params.push(f.itemCode)}`);
    if (f.after) where.push(`e.id > $${params.push(f.after)}`);
    params.push(f.limit);
    return this.db.query(`${ENTRY_VIEW} WHERE ${where.join(' AND ')} ORDER BY e.id LIMIT $${params.length}`, params);
  }

  async batchExists(villageId: string, checksum: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM entry_batches WHERE village_id = $1 AND checksum = $2`, [villageId, checksum]);
    return rows.length > 0;
  }

  async insertBatch(m: EntityManager, b: { id: string; townId: string; villageId: string; period: string; checksum: string; filename: string; rowCount: number; uploadedBy: string }): Promise<void> {
    await m.query(
      `INSERT INTO entry_batches (id, town_id, village_id, period, checksum, filename, row_count, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [b.id, b.townId, b.villageId, b.period, b.checksum, b.filename, b.rowCount, b.uploadedBy],
    );
  }

  /**
   * Inserts entries with their 'submitted' (and 'flagged_duplicate') events and state rows: a few
   * statements per INSERT_CHUNK rows, so a 10,000-row upload is not 30,000 round-trips, and the
   * statements of a 20,000-row upload are not built and sent whole (the api's memory, see
   * INSERT_CHUNK). Record numbers are taken for all rows first, in one counter upsert per
   * village-period; entries, states, 'submitted' and 'flagged_duplicate' events are then written
   * in that order, each in row order, as one statement of each would write them.
   */
  async insertEntries(m: EntityManager, rows: NewEntryRow[]): Promise<void> {
    if (rows.length === 0) return;
    const recordNos = await this.allocateRecordNumbers(m, rows);
    const chunks: Array<{ rows: NewEntryRow[]; from: number }> = [];
    for (let from = 0; from < rows.length; from += INSERT_CHUNK) chunks.push({ rows: rows.slice(from, from + INSERT_CHUNK), from });
    for (const c of chunks) {
      const col = <K extends keyof NewEntryRow>(k: K) => c.rows.map((r) => r[k]);
      await m.query(
        `INSERT INTO deed_entries (id, town_id, village_id, resident_id, item_id, item_code, period, occurred_on, quantity, chosen_points,
            points, explanation, reason, evidence_note, idempotency_key, request_hash, batch_id, entered_by, record_no)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::date[], $9::numeric[],
            $10::int[], $11::int[], $12::jsonb[], $13::text[], $14::text[], $15::text[], $16::text[], $17::uuid[], $18::uuid[], $19::text[])`,
        [
          col('id'), col('townId'), col('villageId'), col('residentId'), col('itemId'), col('itemCode'), col('period'), col('occurredOn'),
          col('quantity'), col('chosenPoints'), col('points'), c.rows.map((r) => JSON.stringify(r.explanation)), col('reason'),
          col('evidenceNote'), col('idempotencyKey'), col('requestHash'), col('batchId'), col('enteredBy'), recordNos.slice(c.from, c.from + c.rows.length),
        ],
      );
    }
    for (const c of chunks) {
      const col = <K extends keyof NewEntryRow>(k: K) => c.rows.map((r) => r[k]);
      await m.query(
        `INSERT INTO entry_states (entry_id, town_id, village_id, period, status, duplicate_of)
         SELECT id, town_id, village_id, period, 'submitted', dup FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[]) AS t(id, town_id, village_id, period, dup)`,
        [col('id'), col('townId'), col('villageId'), col('period'), col('duplicateOf')],
      );
    }
    for (const c of chunks) {
      await m.query(
        `INSERT INTO entry_events (town_id, entry_id, type, actor_id, data)
         SELECT town_id, id, 'submitted', actor, NULL FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(town_id, id, actor)`,
        [c.rows.map((r) => r.townId), c.rows.map((r) => r.id), c.rows.map((r) => r.enteredBy)],
      );
    }
    for (const c of chunks) {
      const flagged = c.rows.filter((r) => r.duplicateOf !== null);
      if (flagged.length === 0) continue;
      await m.query(
        `INSERT INTO entry_events (town_id, entry_id, type, actor_id, data)
         SELECT town_id, id, 'flagged_duplicate', actor, jsonb_build_object('duplicateOf', dup)
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) AS t(town_id, id, actor, dup)`,
        [flagged.map((r) => r.townId), flagged.map((r) => r.id), flagged.map((r) => r.enteredBy), flagged.map((r) => r.duplicateOf)],
      );
    }
  }

  /**
   * The record numbers of `rows`, in their order: one counter upsert per village-period (in
   * ascending period order, the order every entry transaction locks cycles in), taking a block of
   * as many sequences as the rows need. The counter row stays locked until the caller commits.
   */
  private async allocateRecordNumbers(m: EntityManager, rows: NewEntryRow[]): Promise<string[]> {
    const groups = new Map<string, { townId: string; villageId: string; period: string; indexes: number[] }>();
    rows.forEach((r, i) => {
      const k = `${r.period}|${r.villageId}`;
      const g = groups.get(k) ?? { townId: r.townId, villageId: r.villageId, period: r.period, indexes: [] };
      g.indexes.push(i);
      groups.set(k, g);
    });
    const out = new Array<string>(rows.length);
    for (const k of [...groups.keys()].sort()) {
      const g = groups.get(k) as { townId: string; villageId: string; period: string; indexes: number[] };
      const [row] = await m.query(
        `INSERT INTO record_counters (village_id, period, town_id, last_seq) VALUES ($1, $2, $3, $4)
         ON CONFLICT (village_id, period, town_id) DO UPDATE SET last_seq = record_counters.last_seq + EXCLUDED.last_seq
         RETURNING last_seq AS "lastSeq", (SELECT code FROM villages WHERE id = $1) AS code`,
        [g.villageId, g.period, g.townId, g.indexes.length],
      );
      const first = Number(row.lastSeq) - g.indexes.length + 1;
      g.indexes.forEach((rowIndex, j) => (out[rowIndex] = formatRecordNumber(row.code as string, g.period, first + j)));
    }
    return out;
  }

  /** Standing entries on the same resident, item and day: "likely duplicates" for the meeting. */
  async findSameDayEntries(m: EntityManager, keys: Array<{ residentId: string; itemCode: string; occurredOn: string }>): Promise<Array<{ id: string; residentId: string; itemCode: string; occurredOn: string }>> {
    if (keys.length === 0) return [];
    return m.query(
      `SELECT e.id, e.resident_id AS "residentId", e.item_code AS "itemCode", to_char(e.occurred_on, 'YYYY-MM-DD') AS "occurredOn"
       FROM deed_entries e JOIN entry_states s ON s.entry_id = e.id
       JOIN unnest($1::uuid[], $2::text[], $3::date[]) AS k(resident_id, item_code, occurred_on)
         ON e.resident_id = k.resident_id AND e.item_code = k.item_code AND e.occurred_on = k.occurred_on
       WHERE s.status NOT IN ('rejected', 'withdrawn')
       ORDER BY e.entered_at, e.id`,
      [keys.map((k) => k.residentId), keys.map((k) => k.itemCode), keys.map((k) => k.occurredOn)],
    );
  }

  async appendEvent(m: EntityManager, e: { townId: string; entryId: string; type: EntryEventType; actorId: string | null; reason?: string | null; data?: Record<string, unknown> | null }): Promise<void> {
    await m.query(`INSERT INTO entry_events (town_id, entry_id, type, actor_id, reason, data) VALUES ($1, $2, $3, $4, $5, $6)`, [
      e.townId,
      e.entryId,
      e.type,
      e.actorId,
      e.reason ?? null,
      e.data ? JSON.stringify(e.data) : null,
    ]);
  }

  /** Moves an entry's state only from the expected status; returns false if it was elsewhere. */
  async transitionState(m: EntityManager, entryId: string, from: EntryStatus[], to: EntryStatus): Promise<boolean> {
    const rows = await queryRows(m, `UPDATE entry_states SET status = $3, updated_at = now() WHERE entry_id = $1 AND status = ANY($2::text[]) RETURNING entry_id`, [
      entryId,
      from,
      to,
    ]);
    return rows.length === 1;
  }
}

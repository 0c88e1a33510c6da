import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryOne, queryRows, type Db } from '@app/database/sql';
import type { CheckpointVersion } from '@app/ledger/checkpoint';
import type { ItemCaps, Rule, Explanation } from '@app/scoring/rules/rule.types';
import type { CycleState, ObjectionOutcome } from './review.entities';
import { ENSURE_CYCLE_SQL } from './cycle-gate.repository';
import { BOARD_PARTS_VERSION } from '@app/board/board-json';

export interface CycleRow {
  id: string;
  townId: string;
  villageId: string;
  period: string;
  state: CycleState;
  closedAt: Date | null;
  reviewedAt: Date | null;
  publishedAt: Date | null;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  checkpointHash: string | null;
}

const CYCLE_COLUMNS = `id, town_id AS "townId", village_id AS "villageId", period, state, closed_at AS "closedAt", reviewed_at AS "reviewedAt",
  published_at AS "publishedAt", window_ends_at AS "windowEndsAt", finalized_at AS "finalizedAt", checkpoint_hash AS "checkpointHash"`;

/** An entry of the period with what the assessment and the board need. */
export interface PeriodEntry {
  id: string;
  /** 记录编号, e.g. DC-2611-0042. */
  recordNo: string;
  residentId: string;
  residentName: string;
  /** The resident's household number (printed beside the masked name only when the town says so). */
  householdCode: string;
  itemCode: string;
  itemName: string;
  category: string;
  sign: 1 | -1;
  rule: Rule;
  caps: ItemCaps | null;
  occurredOn: string;
  /** 补录: the deed's month was closed, so it came to this period. */
  late: boolean;
  quantity: number | null;
  chosenPoints: number | null;
  points: number;
  finalPoints: number | null;
  finalExplanation: Explanation | null;
  explanation: Explanation;
  status: string;
  disputed: boolean;
  duplicateOf: string | null;
}

export interface TownSettings {
  id: string;
  objectionWindowDays: number;
  objectionAnswerWorkingDays: number;
  closeDay: number;
  holidays: string[];
  makeupWorkdays: string[];
  /** Boards print the household number beside each masked name. */
  boardHouseholdNumbers: boolean;
}

export interface ObjectionRow {
  id: string;
  townId: string;
  villageId: string;
  cycleId: string;
  entryId: string;
  objectorName: string;
  contact: string;
  reason: string;
  filedAt: Date;
  dueAt: Date;
  outcome: ObjectionOutcome | null;
  answer: string | null;
  answeredBy: string | null;
  answeredAt: Date | null;
  /** 异议编号, e.g. DC-2611-0042-Y1. */
  number: string;
  /** The record number of the entry objected to. */
  recordNo: string;
}

const OBJECTION_COLUMNS = `id, town_id AS "townId", village_id AS "villageId", cycle_id AS "cycleId", entry_id AS "entryId", objector_name AS "objectorName",
  contact, reason, filed_at AS "filedAt", due_at AS "dueAt", outcome, answer, answered_by AS "answeredBy", answered_at AS "answeredAt", number,
  (SELECT d.record_no FROM deed_entries d WHERE d.id = objections.entry_id) AS "recordNo"`;

@Injectable()
export class ReviewRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction (the feature's only way to open one). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async findCycle(villageId: string, period: string, db: Db = this.db): Promise<CycleRow | null> {
    return queryOne<CycleRow>(db, `SELECT ${CYCLE_COLUMNS} FROM review_cycles WHERE village_id = $1 AND period = $2`, [villageId, period]);
  }

  async findCycleById(id: string, db: Db = this.db): Promise<CycleRow | null> {
    return queryOne<CycleRow>(db, `SELECT ${CYCLE_COLUMNS} FROM review_cycles WHERE id = $1`, [id]);
  }

  /**
   * The village's cycles with their entry counts: open ones first (oldest first: the next to
   * close), then the others newest first. Ten years of months at most.
   */
  async listVillageCycles(villageId: string, db: Db = this.db): Promise<Array<CycleRow & { entries: number }>> {
    return queryRows(
      db,
      `SELECT ${CYCLE_COLUMNS}, (SELECT count(*)::int FROM entry_states s WHERE s.village_id = c.village_id AND s.period = c.period) AS entries
         FROM review_cycles c WHERE c.village_id = $1
        ORDER BY (c.state = 'open') DESC, CASE WHEN c.state = 'open' THEN c.period END ASC, c.period DESC
        LIMIT 120`,
      [villageId],
    );
  }

  /** The cycle row, locked for the transaction: every transition goes through this lock. */
  async lockCycle(m: EntityManager, townId: string, villageId: string, period: string): Promise<CycleRow> {
    await m.query(ENSURE_CYCLE_SQL, [townId, villageId, period]);
    return (await queryOne<CycleRow>(m, `SELECT ${CYCLE_COLUMNS} FROM review_cycles WHERE village_id = $1 AND period = $2 FOR UPDATE`, [villageId, period])) as CycleRow;
  }

  async lockCycleById(m: EntityManager, id: string): Promise<CycleRow | null> {
    return queryOne<CycleRow>(m, `SELECT ${CYCLE_COLUMNS} FROM review_cycles WHERE id = $1 FOR UPDATE`, [id]);
  }

  /** Moves the cycle and appends the transition event; `set` names the timestamp column to stamp. */
  async transition(
    m: EntityManager,
    c: CycleRow,
    to: CycleState,
    actorId: string | null,
    reason: string | null,
    extra: { windowEndsAt?: Date; checkpointHash?: string } = {},
  ): Promise<void> {
    const stamp: Record<CycleState, string | null> = { open: null, closed: 'closed_at', reviewed: 'reviewed_at', publicized: 'published_at', finalized: 'finalized_at' };
    const sets = ['state = $2'];
    const params: unknown[] = [c.id, to];
    if (stamp[to]) sets.push(`${stamp[to]} = now()`);
    if (extra.windowEndsAt) sets.push(`window_ends_at = $${params.push(extra.windowEndsAt)}`);
    if (extra.checkpointHash) sets.push(`checkpoint_hash = $${params.push(extra.checkpointHash)}`);
    await m.query(`UPDATE review_cycles SET ${sets.join(', ')} WHERE id = $1`, params);
    await m.query(`INSERT INTO cycle_events (town_id, cycle_id, from_state, to_state, actor_id, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [
      c.townId,
      c.id,
      c.state,
      to,
      actorId,
      reason,
    ]);
  }

  /** The village's town, or null for an unknown village (a close job of a deleted village). */
  async villageTownId(villageId: string, db: Db = this.db): Promise<string | null> {
    return (await queryOne<{ townId: string }>(db, `SELECT town_id AS "townId" FROM villages WHERE id = $1`, [villageId]))?.townId ?? null;
  }

  /** The village's name as printed on its board. */
  async villageName(db: Db, villageId: string): Promise<string | null> {
    return (await queryOne<{ name: string }>(db, `SELECT name FROM villages WHERE id = $1`, [villageId]))?.name ?? null;
  }

  async townSettings(townId: string, db: Db = this.db): Promise<TownSettings> {
    return (await queryOne<TownSettings>(
      db,
      `SELECT id, objection_window_days AS "objectionWindowDays", objection_answer_working_days AS "objectionAnswerWorkingDays",
              close_day AS "closeDay", holidays, makeup_workdays AS "makeupWorkdays", board_household_numbers AS "boardHouseholdNumbers"
         FROM towns WHERE id = $1`,
      [townId],
    )) as TownSettings;
  }

  /** Every entry of the village-period (all statuses), with its item version and resident. */
  async periodEntries(villageId: string, period: string, db: Db = this.db): Promise<PeriodEntry[]> {
    return queryRows<PeriodEntry>(
      db,
      `SELECT e.id, e.record_no AS "recordNo", e.resident_id AS "residentId", r.name AS "residentName", h.code AS "householdCode", e.item_code AS "itemCode", i.name AS "itemName", i.category,
              i.sign, i.rule, i.caps, to_char(e.occurred_on, 'YYYY-MM-DD') AS "occurredOn",
              e.period <> to_char(e.occurred_on, 'YYYY-MM') AS late, e.quantity::float8 AS quantity,
              e.chosen_points AS "chosenPoints", e.points, s.final_points AS "finalPoints", s.final_explanation AS "finalExplanation",
              e.explanation, s.status, s.disputed, s.duplicate_of AS "duplicateOf"
       FROM deed_entries e JOIN entry_states s ON s.entry_id = e.id
       JOIN residents r ON r.id = e.resident_id JOIN households h ON h.id = r.household_id JOIN catalog_items i ON i.id = e.item_id
       WHERE e.village_id = $1 AND e.period = $2
       ORDER BY r.name, e.resident_id, e.item_code, e.occurred_on, e.id`,
      [villageId, period],
    );
  }

  async insertMeeting(m: EntityManager, mt: { townId: string; cycleId: string; heldOn: string; attendees: string[]; minutes: string; recordedBy: string }): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO review_meetings (town_id, cycle_id, held_on, attendees, minutes, recorded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [mt.townId, mt.cycleId, mt.heldOn, JSON.stringify(mt.attendees), mt.minutes, mt.recordedBy],
    );
    return row.id;
  }

  async latestMeeting(cycleId: string, db: Db = this.db): Promise<{ id: string; heldOn: string; attendees: string[]; minutes: string } | null> {
    return queryOne(db, `SELECT id, to_char(held_on, 'YYYY-MM-DD') AS "heldOn", attendees, minutes FROM review_meetings WHERE cycle_id = $1 ORDER BY recorded_at DESC, id LIMIT 1`, [
      cycleId,
    ]);
  }

  async countByStatus(villageId: string, period: string, db: Db = this.db): Promise<Record<string, number>> {
    const rows = await queryRows<{ status: string; n: number }>(db, `SELECT status, count(*)::int AS n FROM entry_states WHERE village_id = $1 AND period = $2 GROUP BY status`, [
      villageId,
      period,
    ]);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** `publicParts`: the JSON board's fixed parts (src/board/board-json.ts), written with the content. */
  async insertBoard(m: EntityManager, c: CycleRow, content: Record<string, unknown>, publicParts: Buffer | null): Promise<void> {
    await m.query(`INSERT INTO boards (cycle_id, town_id, village_id, period, content, public_parts, public_parts_version) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      c.id,
      c.townId,
      c.villageId,
      c.period,
      JSON.stringify(content),
      publicParts,
      publicParts ? BOARD_PARTS_VERSION : null,
    ]);
  }

  async findBoard(db: Db, villageId: string, period: string): Promise<{ cycleId: string; content: Record<string, unknown>; publishedAt: Date } | null> {
    return queryOne(db, `SELECT cycle_id AS "cycleId", content, published_at AS "publishedAt" FROM boards WHERE village_id = $1 AND period = $2`, [villageId, period]);
  }

  async insertObjection(m: EntityManager, o: Omit<ObjectionRow, 'id' | 'filedAt' | 'outcome' | 'answer' | 'answeredBy' | 'answeredAt' | 'recordNo'> & { clientIp: string }): Promise<ObjectionRow> {
    return (await queryOne<ObjectionRow>(
      m,
      `INSERT INTO objections (town_id, village_id, cycle_id, entry_id, objector_name, contact, reason, client_ip, due_at, number)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${OBJECTION_COLUMNS}`,
      [o.townId, o.villageId, o.cycleId, o.entryId, o.objectorName, o.contact, o.reason, o.clientIp, o.dueAt, o.number],
    )) as ObjectionRow;
  }

  /** The entry of the town with this record number (any village, any period), or null. */
  findEntryByRecordNo(db: Db, townId: string, recordNo: string): Promise<{ id: string; recordNo: string } | null> {
    return queryOne(db, `SELECT id, record_no AS "recordNo" FROM deed_entries WHERE town_id = $1 AND record_no = $2`, [townId, recordNo]);
  }

  async entryRecordNo(db: Db, entryId: string): Promise<string | null> {
    return (await queryOne<{ recordNo: string }>(db, `SELECT record_no AS "recordNo" FROM deed_entries WHERE id = $1`, [entryId]))?.recordNo ?? null;
  }

  /** How many objections the entry has had (answered or not): the next one's number is this + 1. */
  async countObjectionsForEntry(m: EntityManager, entryId: string): Promise<number> {
    const [r] = await m.query(`SELECT count(*)::int AS n FROM objections WHERE entry_id = $1`, [entryId]);
    return r.n;
  }

  async lockObjection(m: EntityManager, id: string): Promise<ObjectionRow | null> {
    return queryOne<ObjectionRow>(m, `SELECT ${OBJECTION_COLUMNS} FROM objections WHERE id = $1 FOR UPDATE`, [id]);
  }

  async answerObjection(m: EntityManager, id: string, outcome: ObjectionOutcome, answer: string, actorId: string): Promise<ObjectionRow> {
    return (await queryOne<ObjectionRow>(
      m,
      `UPDATE objections SET outcome = $2, answer = $3, answered_by = $4, answered_at = now() WHERE id = $1 RETURNING ${OBJECTION_COLUMNS}`,
      [id, outcome, answer, actorId],
    )) as ObjectionRow;
  }

  async openObjectionsForEntry(m: EntityManager, entryId: string): Promise<number> {
    const [r] = await m.query(`SELECT count(*)::int AS n FROM objections WHERE entry_id = $1 AND outcome IS NULL`, [entryId]);
    return r.n;
  }

  async listObjections(f: { townId: string; villageId?: string; overdueOnly?: boolean; openOnly?: boolean }, db: Db = this.db): Promise<ObjectionRow[]> {
    const where = ['town_id = $1'];
    const params: unknown[] = [f.townId];
    if (f.villageId) where.push(`village_id = $${params.push(f.villageId)}`);
    if (f.openOnly || f.overdueOnly) where.push('outcome IS NULL');
    if (f.overdueOnly) where.push('due_at < now()');
    return queryRows<ObjectionRow>(db, `SELECT ${OBJECTION_COLUMNS} FROM objections WHERE ${where.join(' AND ')} ORDER BY due_at, id LIMIT 1000`, params);
  }

  /**
   * The ids of deed postings that already exist for these source refs (`entry:<id>`): the
   * ledger skipped them as posted before, and their entries still need their posting id. A read
   * of the ledger's table; the ledger alone writes it.
   */
  async deedPostingIds(m: EntityManager, sourceRefs: string[]): Promise<Array<{ sourceRef: string; id: string }>> {
    return queryRows(m, `SELECT source_ref AS "sourceRef", id::text AS id FROM postings WHERE kind = 'deed' AND source_ref = ANY($1::text[])`, [sourceRefs]);
  }

  async accountHeads(m: EntityManager, villageId: string): Promise<Array<{ accountId: string; seq: number; headHash: string }>> {
    return queryRows(m, `SELECT resident_id AS "accountId", seq, head_hash AS "headHash" FROM accounts WHERE village_id = $1 ORDER BY resident_id`, [villageId]);
  }

  /** The checkpoint with the heads it was computed from (kept for re-verification and proofs). */
  async insertCheckpoint(m: EntityManager, c: CycleRow, version: CheckpointVersion, heads: Array<{ accountId: string; seq: number; headHash: string }>, hash: string): Promise<void> {
    await m.query(`INSERT INTO cycle_checkpoints (cycle_id, town_id, village_id, period, heads, hash, version) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      c.id,
      c.townId,
      c.villageId,
      c.period,
      JSON.stringify(heads.map((h) => [h.accountId, h.seq, h.headHash])),
      hash,
      version,
    ]);
  }

  /** Each town's close day: when its villages' last month is due to close. */
  async townCloseDays(db: Db = this.db): Promise<Array<{ townId: string; closeDay: number }>> {
    return queryRows(db, `SELECT id AS "townId", close_day AS "closeDay" FROM towns ORDER BY id`);
  }

  /**
   * Village-periods due to close: `lastPeriod` for every village of `dueTownIds` (towns whose
   * close day has come) that has no cycle for it yet or an open one, and any older open cycle
   * (its close day passed long ago). A cycle an admin reopened (closed_at survives the reopen)
   * stays open until they close it again: closing it behind their back would undo the reopen.
   */
  async cyclesDueToClose(lastPeriod: string, dueTownIds: string[], db: Db = this.db): Promise<Array<{ villageId: string; period: string }>> {
    return queryRows(
      db,
      `SELECT v.id AS "villageId", $1::text AS period FROM villages v
         LEFT JOIN review_cycles c ON c.village_id = v.id AND c.period = $1
        WHERE v.town_id = ANY($2::uuid[]) AND (c.id IS NULL OR (c.state = 'open' AND c.closed_at IS NULL))
       UNION ALL
       SELECT village_id, period FROM review_cycles WHERE state = 'open' AND closed_at IS NULL AND period < $1
       ORDER BY 2, 1`,
      [lastPeriod, dueTownIds],
    );
  }

  /** Publicized cycles whose objection window ends by `asOf` (already ended ones included). */
  async windowsEndingBy(asOf: Date, db: Db = this.db): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(db, `SELECT id FROM review_cycles WHERE state = 'publicized' AND window_ends_at <= $1 ORDER BY window_ends_at, id`, [asOf]);
    return rows.map((r) => r.id);
  }

  /** Ends the (locked) cycle's objection window now, with an event saying why (not a state change). */
  async endWindowNow(m: EntityManager, c: CycleRow, reason: string): Promise<void> {
    await m.query(`UPDATE review_cycles SET window_ends_at = now() WHERE id = $1`, [c.id]);
    await m.query(`INSERT INTO cycle_events (town_id, cycle_id, from_state, to_state, actor_id, reason) VALUES ($1, $2, $3, $3, NULL, $4)`, [c.townId, c.id, c.state, reason]);
  }

  /** Cycles with work due after the close: for reconcile. */
  async dueWork(now: Date = new Date(), db: Db = this.db): Promise<{ toFinalize: string[]; lateDismissed: string[]; pendingExport: boolean }> {
    const toFinalize = (await queryRows<{ id: string }>(db, `SELECT id FROM review_cycles WHERE state = 'publicized' AND window_ends_at <= $1`, [now])).map((r) => r.id);
    const lateDismissed = (
      await queryRows<{ id: string }>(
        db,
        // From the objections: an entry of a finalized cycle still approved and undisputed was
        // disputed when its cycle finalized, so it has a dismissed objection. (No index holds
        // entry_states.status, migration EntryStatesHot: from the cycles this read every state
        // of every finalized month, every 5 minutes.)
        `SELECT DISTINCT c.id FROM objections o
           JOIN review_cycles c ON c.id = o.cycle_id
           JOIN entry_states s ON s.entry_id = o.entry_id AND s.town_id = o.town_id
          WHERE o.outcome = 'dismissed' AND c.state = 'finalized' AND s.status = 'approved' AND NOT s.disputed`,
      )
    ).map((r) => r.id);
    // Whether any row waits, not how many: after a month end with the platform unreachable there are 100,000s.
    const [{ any }] = await queryRows<{ any: boolean }>(db, `SELECT EXISTS (SELECT 1 FROM credit_outbox WHERE status = 'pending') AS any`);
    return { toFinalize, lateDismissed, pendingExport: any };
  }
}

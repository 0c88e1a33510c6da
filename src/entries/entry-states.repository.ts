import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryRows } from '@app/database/sql';
import type { Explanation } from '@app/scoring/rules/rule.types';
import type { EntryEventType, EntryStatus } from './entry.entities';

/** The village-period whose entries a review-cycle step changes. */
export interface CycleOfEntries {
  townId: string;
  villageId: string;
  period: string;
}

/**
 * The review cycle's writes to entry_states and entry_events, set-based (one statement per
 * step for any number of entries: finalize and decisions handle 30,000 at a time). Owned by the
 * entries feature with the rest of those tables' writes (EntriesRepository: insert, withdraw);
 * every method runs in the caller's transaction.
 */
@Injectable()
export class EntryStatesRepository {
  /** Writes the close-time assessment of each standing entry (one statement each for states and events). */
  async writeAssessments(m: EntityManager, townId: string, rows: Array<{ entryId: string; points: number; explanation: Explanation }>): Promise<void> {
    if (!rows.length) return;
    const ids = rows.map((r) => r.entryId);
    const explanations = rows.map((r) => JSON.stringify(r.explanation));
    await m.query(
      `UPDATE entry_states s SET final_points = t.points, final_explanation = t.explanation, updated_at = now()
       FROM unnest($1::uuid[], $2::int[], $3::jsonb[]) AS t(entry_id, points, explanation) WHERE s.entry_id = t.entry_id`,
      [ids, rows.map((r) => r.points), explanations],
    );
    await m.query(
      `INSERT INTO entry_events (town_id, entry_id, type, data)
       SELECT $1, t.entry_id, 'assessed', jsonb_build_object('points', t.points, 'explanation', t.explanation)
       FROM unnest($2::uuid[], $3::int[], $4::jsonb[]) AS t(entry_id, points, explanation)`,
      [townId, ids, rows.map((r) => r.points), explanations],
    );
  }

  /**
   * Records decisions for entries of this village-period that are still open to decision
   * (submitted, or decided before publish). Returns the ids actually changed.
   */
  async recordDecisions(m: EntityManager, c: CycleOfEntries, actorId: string, decisions: Array<{ entryId: string; decision: 'approve' | 'reject'; reason: string | null }>): Promise<string[]> {
    const changed = await queryRows<{ entryId: string }>(
      m,
      `UPDATE entry_states s SET status = CASE t.decision WHEN 'approve' THEN 'approved' ELSE 'rejected' END, updated_at = now()
       FROM unnest($1::uuid[], $2::text[]) AS t(entry_id, decision)
       WHERE s.entry_id = t.entry_id AND s.village_id = $3 AND s.period = $4 AND s.status IN ('submitted', 'approved', 'rejected')
       RETURNING s.entry_id AS "entryId"`,
      [decisions.map((d) => d.entryId), decisions.map((d) => d.decision), c.villageId, c.period],
    );
    const ok = new Set(changed.map((r) => r.entryId));
    const kept = decisions.filter((d) => ok.has(d.entryId));
    if (kept.length) {
      await m.query(
        `INSERT INTO entry_events (town_id, entry_id, type, actor_id, reason)
         SELECT $1, t.entry_id, CASE t.decision WHEN 'approve' THEN 'approved' ELSE 'rejected' END, $2, t.reason
         FROM unnest($3::uuid[], $4::text[], $5::text[]) AS t(entry_id, decision, reason)`,
        [c.townId, actorId, kept.map((d) => d.entryId), kept.map((d) => d.decision), kept.map((d) => d.reason)],
      );
    }
    return [...ok];
  }

  async appendEventForStatus(m: EntityManager, c: CycleOfEntries, status: EntryStatus, type: EntryEventType, actorId: string | null): Promise<void> {
    await m.query(
      `INSERT INTO entry_events (town_id, entry_id, type, actor_id) SELECT $1, entry_id, $2, $3 FROM entry_states WHERE village_id = $4 AND period = $5 AND status = $6`,
      [c.townId, type, actorId, c.villageId, c.period, status],
    );
  }

  async setDisputed(m: EntityManager, entryId: string, disputed: boolean): Promise<void> {
    await m.query(`UPDATE entry_states SET disputed = $2, updated_at = now() WHERE entry_id = $1`, [entryId, disputed]);
  }

  /**
   * Takes the entries to post (approved, undisputed; with `entryIds`, only those) and marks them
   * posted, in one statement, returning them in deed order (occurredOn, then id, as the rule
   * engine orders them), so each account's postings take their seq in the order the deeds
   * happened, the same on every run. Runs in the posting transaction (the cycle row locked), so
   * the mark commits or rolls back with the postings; the entry events are written after them
   * (recordPostedEvents).
   *
   * The entry and its item are read per taken row, by primary key, in a LATERAL subquery that
   * cannot be flattened (OFFSET 0): the planner cannot see how many rows the UPDATE returns, and
   * on tables not yet analyzed (a village's entries just uploaded) it once put the CTE inside a
   * nested loop over the village's entries, rescanning it per entry: 30,000 × 30,000 rows, minutes.
   */
  async takeEntriesToPost(m: EntityManager, villageId: string, period: string, entryIds?: string[]): Promise<Array<{ id: string; residentId: string; itemCode: string; itemName: string; points: number }>> {
    return queryRows(
      m,
      `WITH s AS (
         UPDATE entry_states SET status = 'posted', updated_at = now()
          WHERE village_id = $1 AND period = $2 AND status = 'approved' AND NOT disputed ${entryIds ? 'AND entry_id = ANY($3::uuid[])' : ''}
         RETURNING entry_id, town_id, final_points)
       SELECT e.id, e."residentId", e."itemCode", e."itemName", COALESCE(s.final_points, e.points) AS points
         FROM s CROSS JOIN LATERAL (
           SELECT e.id, e.resident_id AS "residentId", e.item_code AS "itemCode", i.name AS "itemName", e.points, e.occurred_on
             FROM deed_entries e JOIN catalog_items i ON i.id = e.item_id
            WHERE e.id = s.entry_id AND e.town_id = s.town_id
           OFFSET 0) e
        ORDER BY e.occurred_on, e.id`,
      entryIds ? [villageId, period, entryIds] : [villageId, period],
    );
  }

  /** The 'posted' event of each entry, naming its posting (after takeEntriesToPost marked them). */
  async recordPostedEvents(m: EntityManager, townId: string, entryIds: string[], postingIds: string[]): Promise<void> {
    if (!entryIds.length) return;
    await m.query(
      `INSERT INTO entry_events (town_id, entry_id, type, data) SELECT $1, t.entry_id, 'posted', jsonb_build_object('postingId', t.posting_id)
       FROM unnest($2::uuid[], $3::text[]) AS t(entry_id, posting_id)`,
      [townId, entryIds, postingIds],
    );
  }
}

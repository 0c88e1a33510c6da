import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryOne, queryRows } from '@app/database/sql';
import type { CycleState } from '@app/review/review.entities';
import { DEFAULT_CLOSE_DAY } from '@app/review/schedule';
import type { GradeThresholds } from '@app/scoring/grade';

export interface DashboardCycleRow {
  villageId: string;
  villageCode: string;
  villageName: string;
  cycleId: string | null;
  state: CycleState | null;
  closedAt: Date | null;
  publishedAt: Date | null;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  openObjections: number;
  overdueObjections: number;
}

export interface VillageItemEntriesRow {
  villageId: string;
  itemCode: string;
  itemName: string;
  entries: number;
  lateEntries: number;
  points: number;
}

export interface ExportBacklogRow {
  /** null: the town's rows of every period together. */
  villageId: string | null;
  pending: number;
  failed: number;
}

export interface MonthPostingsRow {
  period: string;
  villageId: string;
  kind: string;
  counterparty: string;
  n: number;
  added: number;
  deducted: number;
}

/**
 * The town admin's dashboard (首页): a few aggregates over one town, each query bounded by the
 * town's villages and the chosen months so that it reads only what it shows.
 */
@Injectable()
export class DashboardRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async townSettings(townId: string): Promise<{ closeDay: number; gradeThresholds: GradeThresholds | null }> {
    const row = await queryOne<{ closeDay: number; gradeThresholds: GradeThresholds | null }>(
      this.db,
      `SELECT close_day AS "closeDay", grade_thresholds AS "gradeThresholds" FROM towns WHERE id = $1`,
      [townId],
    );
    return row ?? { closeDay: DEFAULT_CLOSE_DAY, gradeThresholds: null };
  }

  /** Per village of the town: the period's cycle and its unanswered objections. */
  cyclesOfPeriod(townId: string, period: string): Promise<DashboardCycleRow[]> {
    return queryRows<DashboardCycleRow>(
      this.db,
      `SELECT v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName", c.id AS "cycleId", c.state,
              c.closed_at AS "closedAt", c.published_at AS "publishedAt", c.window_ends_at AS "windowEndsAt", c.finalized_at AS "finalizedAt",
              COALESCE(o.open, 0)::int AS "openObjections", COALESCE(o.overdue, 0)::int AS "overdueObjections"
         FROM villages v
         LEFT JOIN review_cycles c ON c.village_id = v.id AND c.period = $2
         LEFT JOIN LATERAL (
           SELECT count(*) AS open, count(*) FILTER (WHERE due_at < now()) AS overdue
             FROM objections WHERE cycle_id = c.id AND answered_at IS NULL
         ) o ON true
        WHERE v.town_id = $1
        ORDER BY v.code, v.id`,
      [townId, period],
    );
  }

  /**
   * The period's entries per village and item, withdrawn ones left out: one pass gives both the
   * villages' counts and the top items. All entries come from ix_entries_village_period_items
   * alone (no heap: deed entries are append-only); the withdrawn ones, few, are found through
   * entry_states (village, period, status) and taken off.
   */
  entriesOfPeriod(townId: string, period: string): Promise<VillageItemEntriesRow[]> {
    return queryRows<VillageItemEntriesRow>(
      this.db,
      `WITH v AS (SELECT id FROM villages WHERE town_id = $1),
       a AS (
         SELECT e.village_id, e.item_code, min(e.item_id::text)::uuid AS item_id, count(*) AS n,
                count(*) FILTER (WHERE e.period <> to_char(e.occurred_on, 'YYYY-MM')) AS late, COALESCE(sum(e.points), 0) AS points
           FROM v JOIN deed_entries e ON e.village_id = v.id AND e.period = $2
          GROUP BY e.village_id, e.item_code),
       w AS (
         SELECT e.village_id, e.item_code, count(*) AS n,
                count(*) FILTER (WHERE e.period <> to_char(e.occurred_on, 'YYYY-MM')) AS late, COALESCE(sum(e.points), 0) AS points
           FROM v JOIN entry_states s ON s.village_id = v.id AND s.period = $2 AND s.status = 'withdrawn'
           JOIN deed_entries e ON e.id = s.entry_id
          GROUP BY e.village_id, e.item_code)
       SELECT a.village_id AS "villageId", a.item_code AS "itemCode", COALESCE(ci.name, a.item_code) AS "itemName",
              (a.n - COALESCE(w.n, 0))::int AS entries, (a.late - COALESCE(w.late, 0))::int AS "lateEntries", (a.points - COALESCE(w.points, 0))::int AS points
         FROM a
         LEFT JOIN w ON w.village_id = a.village_id AND w.item_code = a.item_code
         LEFT JOIN catalog_items ci ON ci.id = a.item_id
        WHERE a.n > COALESCE(w.n, 0)`,
      [townId, period],
    );
  }

  /** Outbox rows not yet accepted by the platform: per village for the period, and the town's total over all periods. */
  exportBacklog(townId: string, period: string): Promise<ExportBacklogRow[]> {
    return queryRows<ExportBacklogRow>(
      this.db,
      `SELECT CASE WHEN GROUPING(x.village) = 1 THEN NULL ELSE x.village END AS "villageId",
              count(*) FILTER (WHERE x.status = 'pending')::int AS pending, count(*) FILTER (WHERE x.status = 'failed')::int AS failed
         FROM (SELECT status, CASE WHEN payload->>'period' = $2 THEN payload->>'villageId' END AS village
                 FROM credit_outbox WHERE town_id = $1 AND status IN ('pending', 'failed')) x
        GROUP BY GROUPING SETS ((x.village), ())`,
      [townId, period],
    );
  }

  /**
   * Deed and shop postings of the months, summed per month, village, kind and counterparty (the
   * shop for redemptions and voids): the points and redemption charts from one pass.
   */
  postingsByMonth(townId: string, months: string[]): Promise<MonthPostingsRow[]> {
    return queryRows<MonthPostingsRow>(
      this.db,
      `SELECT period, village_id AS "villageId", kind, counterparty, count(*)::int AS n,
              COALESCE(sum(points) FILTER (WHERE points > 0), 0)::int AS added,
              COALESCE(-sum(points) FILTER (WHERE points < 0), 0)::int AS deducted
         FROM postings
        WHERE town_id = $1 AND period = ANY($2::text[]) AND kind IN ('deed', 'redemption', 'redemption_void')
        GROUP BY period, village_id, kind, counterparty`,
      [townId, months],
    );
  }

  shopNames(townId: string): Promise<Array<{ id: string; name: string }>> {
    return queryRows(this.db, `SELECT id, name FROM shops WHERE town_id = $1 ORDER BY code, id`, [townId]);
  }

  gradeCounts(townId: string): Promise<Array<{ grade: string; residents: number }>> {
    return queryRows(this.db, `SELECT grade, count(*)::int AS residents FROM accounts WHERE town_id = $1 GROUP BY grade`, [townId]);
  }
}

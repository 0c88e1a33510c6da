import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryOne, queryRows, type Queryable } from '@app/database/sql';
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
 * The town admin's dashboard (首页): a few small reads over one town. Entries and postings come
 * from the running totals that triggers keep in the writes' own transactions
 * (dashboard_entry_totals, dashboard_posting_totals; migration DashboardTotals), so a request
 * reads a few hundred counter rows, never the months of postings behind them.
 *
 * Every method takes `db`: the primary, or the read replica (ReadReplica).
 */
@Injectable()
export class DashboardRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async townSettings(townId: string, db: Queryable = this.db): Promise<{ closeDay: number; gradeThresholds: GradeThresholds | null }> {
    const row = await queryOne<{ closeDay: number; gradeThresholds: GradeThresholds | null }>(
      db,
      `SELECT close_day AS "closeDay", grade_thresholds AS "gradeThresholds" FROM towns WHERE id = $1`,
      [townId],
    );
    return row ?? { closeDay: DEFAULT_CLOSE_DAY, gradeThresholds: null };
  }

  /** Per village of the town: the period's cycle and its unanswered objections. */
  cyclesOfPeriod(townId: string, period: string, db: Queryable = this.db): Promise<DashboardCycleRow[]> {
    return queryRows<DashboardCycleRow>(
      db,
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
   * villages' counts and the top items. The item's name is that of the lowest item id entered
   * under the code (a code keeps its name across catalogue versions, almost always).
   */
  entriesOfPeriod(townId: string, period: string, db: Queryable = this.db): Promise<VillageItemEntriesRow[]> {
    return queryRows<VillageItemEntriesRow>(
      db,
      `WITH a AS (
         SELECT village_id, item_code, min(item_id::text)::uuid AS item_id, sum(entries) AS n, sum(late_entries) AS late, sum(points) AS points
           FROM dashboard_entry_totals WHERE town_id = $1 AND period = $2
          GROUP BY village_id, item_code)
       SELECT a.village_id AS "villageId", a.item_code AS "itemCode", COALESCE(ci.name, a.item_code) AS "itemName",
              a.n::int AS entries, a.late::int AS "lateEntries", a.points::int AS points
         FROM a LEFT JOIN catalog_items ci ON ci.id = a.item_id
        WHERE a.n > 0`,
      [townId, period],
    );
  }

  /**
   * Outbox rows not yet accepted by the platform: per village for the period (villages with some),
   * and the town's total over all periods (the one row whose villageId is null). From the
   * trigger-kept counts (migration DashboardOutboxTotals): a few rows per village and month
   * instead of every unsent outbox row.
   */
  exportBacklog(townId: string, period: string, db: Queryable = this.db): Promise<ExportBacklogRow[]> {
    return queryRows<ExportBacklogRow>(
      db,
      `SELECT CASE WHEN GROUPING(x.village) = 1 THEN NULL ELSE x.village END AS "villageId",
              COALESCE(sum(x.n) FILTER (WHERE x.status = 'pending'), 0)::int AS pending, COALESCE(sum(x.n) FILTER (WHERE x.status = 'failed'), 0)::int AS failed
         FROM (SELECT status, n, CASE WHEN period = $2 THEN village_id END AS village
                 FROM dashboard_outbox_totals WHERE town_id = $1) x
        GROUP BY GROUPING SETS ((x.village), ())
       HAVING GROUPING(x.village) = 1 OR (x.village IS NOT NULL AND sum(x.n) <> 0)`,
      [townId, period],
    );
  }

  /**
   * Deed and shop postings of the months, summed per month, village, kind and counterparty (the
   * shop for redemptions and voids): the points and redemption charts from one pass.
   */
  postingsByMonth(townId: string, months: string[], db: Queryable = this.db): Promise<MonthPostingsRow[]> {
    return queryRows<MonthPostingsRow>(
      db,
      `SELECT period, village_id AS "villageId", kind, counterparty, sum(postings)::int AS n, sum(added)::int AS added, sum(deducted)::int AS deducted
         FROM dashboard_posting_totals
        WHERE town_id = $1 AND period = ANY($2::text[])
        GROUP BY period, village_id, kind, counterparty`,
      [townId, months],
    );
  }

  shopNames(townId: string, db: Queryable = this.db): Promise<Array<{ id: string; name: string }>> {
    return queryRows(db, `SELECT id, name FROM shops WHERE town_id = $1 ORDER BY code, id`, [townId]);
  }

  /**
   * Folds the totals' rows of every writer slot no live backend holds into slot -1 (migration
   * DashboardTotalsFold); writers never wait for it. Returns how many slots were folded. Primary only.
   */
  async foldTotals(): Promise<number> {
    const row = await queryOne<{ folded: number }>(this.db, `SELECT dashboard_fold_totals() AS folded`, []);
    return row?.folded ?? 0;
  }

  gradeCounts(townId: string, db: Queryable = this.db): Promise<Array<{ grade: string; residents: number }>> {
    // Trigger-kept counts (migration DashboardGradeTotals), summed over the writers' slots.
    return queryRows(db, `SELECT grade, sum(residents)::int AS residents FROM dashboard_grade_totals WHERE town_id = $1 GROUP BY grade HAVING sum(residents) <> 0`, [townId]);
  }
}

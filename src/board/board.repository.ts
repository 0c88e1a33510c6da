import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryOne, queryRows, type Queryable } from '@app/database/sql';
import type { BoardContent } from './board-content';
import type { CycleState } from '@app/review/review.entities';
import { DEFAULT_CLOSE_DAY } from '@app/review/schedule';
import { BOARD_PARTS_VERSION } from './board-json';
import type { BoardIssuer, LiveEntryState } from './board-view';

export interface PublishedBoardRow extends BoardIssuer {
  townId: string;
  content: BoardContent;
  /** Only with `parts`: the JSON board's fixed parts (boards.public_parts); then `content` is null where they exist. */
  publicParts?: Buffer | null;
  state: CycleState;
  publishedAt: Date;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  checkpointHash: string | null;
  checkpointVersion: number | null;
}

export interface VillageBoardRow {
  period: string;
  state: CycleState;
  publishedAt: Date;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  checkpointHash: string | null;
}

export interface OverviewRow {
  villageId: string;
  villageCode: string;
  villageName: string;
  cycleId: string | null;
  state: CycleState | null;
  closedAt: Date | null;
  reviewedAt: Date | null;
  publishedAt: Date | null;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  openObjections: number;
  overdueObjections: number;
}

/** All SQL of the public board and the town's boards overview (read-only). */
@Injectable()
export class BoardRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The board fixed at publish, with its cycle's live state; null when not (yet) published.
   * `parts`: the JSON board's fixed parts instead of the content where the board has them (the
   * content only for boards published before, or whose parts are in another format than
   * BOARD_PARTS_VERSION), sent as base64 and decoded to the bytes here.
   */
  async findPublishedBoard(villageId: string, period: string, db: Queryable = this.db, parts = false): Promise<PublishedBoardRow | null> {
    const row = await queryOne<PublishedBoardRow & { publicParts?: string | null }>(
      db,
      `SELECT b.town_id AS "townId", ${parts ? `CASE WHEN b.public_parts IS NULL OR b.public_parts_version IS DISTINCT FROM ${BOARD_PARTS_VERSION} THEN b.content END AS content, CASE WHEN b.public_parts_version = ${BOARD_PARTS_VERSION} THEN encode(b.public_parts, 'base64') END AS "publicParts"` : 'b.content'},
              c.state, b.published_at AS "publishedAt", c.window_ends_at AS "windowEndsAt",
              c.finalized_at AS "finalizedAt", c.checkpoint_hash AS "checkpointHash", cc.version AS "checkpointVersion",
              t.code AS "townCode", t.name AS "townName", t.contact_phone AS "townPhone",
              v.code AS "villageCode", v.committee, v.contact_phone AS "villagePhone"
       FROM boards b JOIN review_cycles c ON c.id = b.cycle_id JOIN villages v ON v.id = b.village_id JOIN towns t ON t.id = b.town_id
       LEFT JOIN cycle_checkpoints cc ON cc.cycle_id = c.id
       WHERE b.village_id = $1 AND b.period = $2 AND c.state IN ('publicized', 'finalized')`,
      [villageId, period],
    );
    if (!row || !parts) return row;
    // PostgreSQL's base64 has a line break every 76 characters: Buffer's decoder skips them.
    return { ...row, publicParts: typeof row.publicParts === 'string' ? Buffer.from(row.publicParts, 'base64') : null };
  }

  /**
   * The entries of the village-period whose standing differs from "approved as published":
   * revoked (rejected / withdrawn) or under objection. Everything else on the board is approved,
   * or posted once the cycle is finalized (finalize posts every standing, undisputed entry in
   * one transaction). Reading only the exceptions keeps a 1,500-resident board to a few rows.
   */
  exceptionalEntryStates(villageId: string, period: string, db: Queryable = this.db): Promise<LiveEntryState[]> {
    return queryRows<LiveEntryState>(
      db,
      `SELECT entry_id AS "entryId", status, disputed FROM entry_states
       WHERE village_id = $1 AND period = $2 AND (status IN ('rejected', 'withdrawn') OR disputed)`,
      [villageId, period],
    );
  }

  /** Record numbers of the village-period's entries: for boards published before lines carried them. */
  async recordNumbers(villageId: string, period: string, db: Queryable = this.db): Promise<Map<string, string>> {
    const rows = await queryRows<{ id: string; recordNo: string }>(db, `SELECT id, record_no AS "recordNo" FROM deed_entries WHERE village_id = $1 AND period = $2`, [villageId, period]);
    return new Map(rows.map((r) => [r.id, r.recordNo]));
  }

  async villageExists(villageId: string): Promise<boolean> {
    return (await queryOne(this.db, `SELECT 1 AS one FROM villages WHERE id = $1`, [villageId])) !== null;
  }

  listVillageBoards(villageId: string): Promise<VillageBoardRow[]> {
    return queryRows<VillageBoardRow>(
      this.db,
      `SELECT b.period, c.state, b.published_at AS "publishedAt", c.window_ends_at AS "windowEndsAt", c.finalized_at AS "finalizedAt",
              c.checkpoint_hash AS "checkpointHash"
       FROM boards b JOIN review_cycles c ON c.id = b.cycle_id
       WHERE b.village_id = $1 AND c.state IN ('publicized', 'finalized')
       ORDER BY b.period DESC`,
      [villageId],
    );
  }

  /** The village with this code in the town with this code (any case), or null. */
  findVillageByCodes(townCode: string, villageCode: string): Promise<{ id: string } | null> {
    return queryOne(this.db, `SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE upper(t.code) = upper($1) AND v.code = upper($2)`, [townCode, villageCode]);
  }

  /** Villages with this code (codes are unique within a town only), optionally in one town (code, any case). */
  findVillagesByCode(code: string, townCode: string | undefined): Promise<Array<{ id: string; townCode: string }>> {
    return queryRows(
      this.db,
      `SELECT v.id, t.code AS "townCode" FROM villages v JOIN towns t ON t.id = v.town_id
       WHERE v.code = $1 AND ($2::text IS NULL OR upper(t.code) = upper($2)) ORDER BY t.code`,
      [code, townCode ?? null],
    );
  }

  /** Towns and their villages (optionally one town), for the public list. */
  listPublicVillages(townCode: string | undefined): Promise<Array<{ townCode: string; townName: string; villageId: string; villageCode: string; villageName: string }>> {
    return queryRows(
      this.db,
      `SELECT t.code AS "townCode", t.name AS "townName", v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName"
       FROM towns t JOIN villages v ON v.town_id = t.id
       WHERE $1::text IS NULL OR upper(t.code) = upper($1)
       ORDER BY t.code, v.code`,
      [townCode ?? null],
    );
  }

  /** The published boards of these villages, newest first. */
  listPublishedBoardsOf(villageIds: string[]): Promise<Array<VillageBoardRow & { villageId: string }>> {
    return queryRows(
      this.db,
      `SELECT b.village_id AS "villageId", b.period, c.state, b.published_at AS "publishedAt", c.window_ends_at AS "windowEndsAt",
              c.finalized_at AS "finalizedAt", c.checkpoint_hash AS "checkpointHash"
       FROM boards b JOIN review_cycles c ON c.id = b.cycle_id
       WHERE b.village_id = ANY($1::uuid[]) AND c.state IN ('publicized', 'finalized')
       ORDER BY b.village_id, b.period DESC`,
      [villageIds],
    );
  }

  /** The town's close day (towns.close_day): the deadlines and late flags follow it. */
  async townCloseDay(townId: string): Promise<number> {
    const row = await queryOne<{ closeDay: number }>(this.db, `SELECT close_day AS "closeDay" FROM towns WHERE id = $1`, [townId]);
    return row?.closeDay ?? DEFAULT_CLOSE_DAY;
  }

  /** Every village of the town with its cycle of `period` (if any) and its objection counts. */
  townOverview(townId: string, period: string): Promise<OverviewRow[]> {
    return queryRows<OverviewRow>(
      this.db,
      `SELECT v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName", c.id AS "cycleId", c.state,
              c.closed_at AS "closedAt", c.reviewed_at AS "reviewedAt", c.published_at AS "publishedAt",
              c.window_ends_at AS "windowEndsAt", c.finalized_at AS "finalizedAt",
              COALESCE(o.open, 0)::int AS "openObjections", COALESCE(o.overdue, 0)::int AS "overdueObjections"
       FROM villages v
       LEFT JOIN review_cycles c ON c.village_id = v.id AND c.period = $2
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE answered_at IS NULL) AS open,
                count(*) FILTER (WHERE answered_at IS NULL AND due_at < now()) AS overdue
         FROM objections WHERE cycle_id = c.id
       ) o ON true
       WHERE v.town_id = $1
       ORDER BY v.code, v.id`,
      [townId, period],
    );
  }
}

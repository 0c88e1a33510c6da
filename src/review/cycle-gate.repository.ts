import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryOne, queryRows, type Db } from '@app/database/sql';
import type { CycleState } from './review.entities';

/** Makes the village's cycle for a period if it has none ($1 town, $2 village, $3 period): entries and the close share it. */
export const ENSURE_CYCLE_SQL = `INSERT INTO review_cycles (town_id, village_id, period) VALUES ($1, $2, $3) ON CONFLICT (village_id, period, town_id) DO NOTHING`;

/** The review cycle as deed entries see it: made when a month's first entry comes, share-locked by each entry. */
@Injectable()
export class CycleGateRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Makes sure the village has a cycle for `period` and returns its state, holding a share lock
   * on the cycle row until the caller's transaction ends: closing a cycle takes the row
   * exclusively, so an entry can never slip into a cycle that is being closed.
   */
  async lockForEntry(m: EntityManager, townId: string, villageId: string, period: string): Promise<CycleState> {
    await m.query(ENSURE_CYCLE_SQL, [townId, villageId, period]);
    const row = await queryOne<{ state: CycleState }>(m, `SELECT state FROM review_cycles WHERE village_id = $1 AND period = $2 FOR SHARE`, [villageId, period]);
    return (row as { state: CycleState }).state;
  }

  /** The cycle's state without creating or locking it (null: no cycle yet). */
  async stateOf(villageId: string, period: string, db: Db = this.db): Promise<CycleState | null> {
    return (await queryOne<{ state: CycleState }>(db, `SELECT state FROM review_cycles WHERE village_id = $1 AND period = $2`, [villageId, period]))?.state ?? null;
  }

  /** Periods of the village's open cycles, oldest first (last month and this month for a few days). */
  async openPeriods(villageId: string, db: Db = this.db): Promise<string[]> {
    return (await queryRows<{ period: string }>(db, `SELECT period FROM review_cycles WHERE village_id = $1 AND state = 'open' ORDER BY period`, [villageId])).map((r) => r.period);
  }
}

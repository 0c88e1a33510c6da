import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { requireTransaction, type Db } from '@app/database/sql';
import { CycleGateRepository } from './cycle-gate.repository';
import type { CycleState } from './review.entities';

/**
 * What deed entries need of the review cycle, so that review stays the one writer of
 * `review_cycles`: a month's cycle is made by its first entry (or its first step of review), and
 * every entry holds its cycle share-locked until it commits, so a close (which takes the row
 * exclusively: CycleCloseService) either waits for the entries in flight and assesses them, or
 * comes first and they see the cycle closed. Its own module (CycleGateModule), because the review
 * cycle's module imports the entries' one.
 */
@Injectable()
export class CycleGateService {
  constructor(private readonly repo: CycleGateRepository) {}

  /**
   * The cycle of `period` (made if there is none), share-locked in the caller's transaction `m`;
   * its state. Refuses a manager outside a transaction: there the lock would end with the
   * statement, and the entry could slip into a cycle being closed after all.
   */
  lockForEntry(m: EntityManager, townId: string, villageId: string, period: string): Promise<CycleState> {
    return this.repo.lockForEntry(requireTransaction(m, "an entry's cycle lock"), townId, villageId, period);
  }

  /** The cycle's state, neither made nor locked (null: no cycle yet). */
  stateOf(villageId: string, period: string, db?: Db): Promise<CycleState | null> {
    return this.repo.stateOf(villageId, period, db);
  }

  /** Periods of the village's open cycles, oldest first. */
  openPeriods(villageId: string): Promise<string[]> {
    return this.repo.openPeriods(villageId);
  }
}

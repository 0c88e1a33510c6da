import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { requireTransaction } from '@app/database/sql';
import { EntriesRepository, type StandingEntry } from './entries.repository';
import { EntryStatesRepository, type CycleOfEntries } from './entry-states.repository';
import type { Explanation } from '@app/scoring/rules/rule.types';

export type { CycleOfEntries } from './entry-states.repository';

const ENTRY_WRITE = "an entry's state or event (a review step)";

/**
 * What the review cycle does to entries, as named steps: the entries feature owns entry_states
 * and entry_events, so review calls these instead of writing them. Each takes the caller's
 * transaction (review holds the cycle row's lock around them) and is set-based where it touches
 * a whole village-period. The writes refuse a manager outside a transaction (`requireTransaction`):
 * an entry's state and event commit with the review step that causes them or not at all.
 */
@Injectable()
export class EntryStatesService {
  constructor(
    private readonly entries: EntriesRepository,
    private readonly states: EntryStatesRepository,
  ) {}

  /** Standing (not rejected, not withdrawn) entries of these residents and items in `fromPeriod`…`toPeriod`: the year so far for the period rules. */
  standingEntries(m: EntityManager, residentIds: string[], itemCodes: string[], fromPeriod: string, toPeriod: string): Promise<StandingEntry[]> {
    return this.entries.findStandingEntries(m, residentIds, itemCodes, fromPeriod, toPeriod);
  }

  /** The period rules' points and explanation for each entry given (close, decisions, publish), with an `assessed` event each. */
  recordAssessments(m: EntityManager, townId: string, rows: Array<{ entryId: string; points: number; explanation: Explanation }>): Promise<void> {
    return this.states.writeAssessments(requireTransaction(m, ENTRY_WRITE), townId, rows);
  }

  /** Approve/reject entries of the village-period still open to decision; returns the ids changed. */
  recordDecisions(m: EntityManager, c: CycleOfEntries, actorId: string, decisions: Array<{ entryId: string; decision: 'approve' | 'reject'; reason: string | null }>): Promise<string[]> {
    return this.states.recordDecisions(requireTransaction(m, ENTRY_WRITE), c, actorId, decisions);
  }

  /** Publish: a `published` event for every approved entry of the village-period. */
  markPublished(m: EntityManager, c: CycleOfEntries, actorId: string): Promise<void> {
    return this.states.appendEventForStatus(requireTransaction(m, ENTRY_WRITE), c, 'approved', 'published', actorId);
  }

  /** An objection was filed: the entry is disputed (not posted while it is) and says why. */
  async markDisputed(m: EntityManager, townId: string, entryId: string, objectionId: string, reason: string): Promise<void> {
    requireTransaction(m, ENTRY_WRITE);
    await this.states.setDisputed(m, entryId, true);
    await this.entries.appendEvent(m, { townId, entryId, type: 'disputed', actorId: null, reason, data: { objectionId } });
  }

  /** An objection was upheld: the approved entry is rejected (never posted) and no longer disputed. */
  async upholdObjection(m: EntityManager, townId: string, entryId: string, objectionId: string, actorId: string, answer: string): Promise<void> {
    requireTransaction(m, ENTRY_WRITE);
    await this.entries.transitionState(m, entryId, ['approved'], 'rejected');
    await this.states.setDisputed(m, entryId, false);
    await this.entries.appendEvent(m, { townId, entryId, type: 'objection_upheld', actorId, reason: answer, data: { objectionId } });
  }

  /** An objection was dismissed: the entry stands (still disputed while another objection is open; see clearDispute). */
  recordObjectionDismissed(m: EntityManager, townId: string, entryId: string, objectionId: string, actorId: string, answer: string): Promise<void> {
    return this.entries.appendEvent(requireTransaction(m, ENTRY_WRITE), { townId, entryId, type: 'objection_dismissed', actorId, reason: answer, data: { objectionId } });
  }

  /** No objection to the entry is open any more: it may be posted. */
  clearDispute(m: EntityManager, entryId: string): Promise<void> {
    return this.states.setDisputed(requireTransaction(m, ENTRY_WRITE), entryId, false);
  }

  /**
   * Takes the approved, undisputed entries of a village-period (with `entryIds`, only those) and
   * marks them posted in one statement, returning them in deed order; runs in the posting
   * transaction, so the mark commits or rolls back with the postings.
   */
  takeEntriesToPost(m: EntityManager, villageId: string, period: string, entryIds?: string[]): Promise<Array<{ id: string; residentId: string; itemCode: string; itemName: string; points: number }>> {
    return this.states.takeEntriesToPost(requireTransaction(m, ENTRY_WRITE), villageId, period, entryIds);
  }

  /** The `posted` event of each entry taken, naming its posting. */
  recordPostedEvents(m: EntityManager, townId: string, entryIds: string[], postingIds: string[]): Promise<void> {
    return this.states.recordPostedEvents(requireTransaction(m, ENTRY_WRITE), townId, entryIds, postingIds);
  }
}

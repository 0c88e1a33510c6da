import type { EntityManager } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import type { CycleState } from './review.entities';
import type { ReviewRepository, CycleRow } from './review.repository';

/**
 * The village-period's existing cycle, locked for the transaction, refused unless it is of the
 * caller's town and in one of the `allowed` states (meeting, decisions and publish).
 */
export async function lockCycleIn(repo: ReviewRepository, m: EntityManager, townId: string, villageId: string, period: string, allowed: CycleState[]): Promise<CycleRow> {
  const found = await repo.findCycle(villageId, period, m);
  if (!found) throw new AppError('CYCLE.NOT_FOUND');
  const c = (await repo.lockCycleById(m, found.id)) as CycleRow;
  if (c.townId !== townId) throw new AppError('AUTH.OUT_OF_SCOPE');
  if (!allowed.includes(c.state)) throw new AppError('CYCLE.WRONG_STATE', undefined, { state: c.state, allowed });
  return c;
}

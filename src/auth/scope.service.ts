import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import { AuthRepository, type VillageRef } from './auth.repository';
import type { Principal } from './principal';

export type { VillageRef } from './auth.repository';

/**
 * DESIGN.md §4.6 in one place: a staff user reads and writes only within their village or
 * town; a terminal only for villages its shop serves. Services call these before every access.
 */
/** Villages and shops whose town a process remembers; past this many it starts again (a county has a few thousand). */
export const TOWN_OF_MAX = 50_000;

@Injectable()
export class ScopeService {
  /**
   * The town of each village and shop found so far. A village's or shop's id and town never
   * change and neither is deleted (PostgreSQL refuses both: migration TownOfVillageFixed), so
   * once found, the answer stands for the life of the process: a village-scoped request reads
   * it once, not on every request. A village not found is not remembered (it may be created).
   */
  private readonly villageTowns = new Map<string, string>();
  private readonly shopTowns = new Map<string, string>();

  constructor(private readonly repo: AuthRepository) {}

  /** The village, if the principal may act on it; 404 if it does not exist, 403 if out of scope. */
  async village(principal: Principal, villageId: string): Promise<VillageRef> {
    const v = await townOf(this.villageTowns, villageId, () => this.repo.villageRef(villageId));
    if (!v) throw new AppError('ORG.VILLAGE_NOT_FOUND');
    this.assertVillage(principal, v);
    return v;
  }

  assertVillage(principal: Principal, v: VillageRef): void {
    if (principal.townId !== v.townId) throw new AppError('AUTH.OUT_OF_SCOPE');
    if (principal.kind === 'staff' && principal.villageId && principal.villageId !== v.id) throw new AppError('AUTH.OUT_OF_SCOPE');
  }

  assertTown(principal: Principal, townId: string): void {
    if (principal.townId !== townId) throw new AppError('AUTH.OUT_OF_SCOPE');
  }

  /** Shop clerks and terminals act only for their own shop; town roles for shops of their town. */
  async shop(principal: Principal, shopId: string): Promise<{ id: string; townId: string }> {
    const s = await townOf(this.shopTowns, shopId, () => this.repo.shopRef(shopId));
    if (!s) throw new AppError('SHOP.NOT_FOUND');
    if (s.townId !== principal.townId) throw new AppError('AUTH.OUT_OF_SCOPE');
    const ownShop = principal.kind === 'terminal' ? principal.shopId : principal.shopId;
    if (ownShop && ownShop !== s.id) throw new AppError('AUTH.OUT_OF_SCOPE');
    if (principal.kind === 'staff' && principal.villageId) throw new AppError('AUTH.OUT_OF_SCOPE');
    return s;
  }
}

async function townOf(known: Map<string, string>, id: string, read: () => Promise<VillageRef | null>): Promise<VillageRef | null> {
  const townId = known.get(id);
  if (townId !== undefined) return { id, townId };
  const found = await read();
  if (found) {
    if (known.size >= TOWN_OF_MAX) known.clear();
    known.set(found.id, found.townId);
  }
  return found;
}

import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import { AuthRepository, type VillageRef } from './auth.repository';
import type { Principal } from './principal';

export type { VillageRef } from './auth.repository';

/**
 * What was found of rows whose place PostgreSQL keeps fixed (migration PlacesFixed: a village's
 * and a shop's town, a resident's town and village never change and none is deleted), kept for
 * the life of the process: read once, not on every scoped request. Not found is not kept (the
 * row may be created); past `max` entries it starts again (a county has a few thousand villages).
 */
export class FixedPlaces<T> {
  private readonly known = new Map<string, T>();

  constructor(private readonly max = 50_000) {}

  async get(id: string, read: () => Promise<(T & { id: string }) | null>): Promise<T | null> {
    const hit = this.known.get(id);
    if (hit !== undefined) return hit;
    const found = await read();
    if (found) {
      if (this.known.size >= this.max) this.known.clear();
      this.known.set(found.id, found);
    }
    return found;
  }
}

/**
 * DESIGN.md §4.6 in one place: a staff user reads and writes only within their village or
 * town; a terminal only for villages its shop serves. Services call these before every access.
 */
@Injectable()
export class ScopeService {
  /** The town of each village and shop found so far (FixedPlaces). */
  private readonly villages = new FixedPlaces<VillageRef>();
  private readonly shops = new FixedPlaces<VillageRef>();

  constructor(private readonly repo: AuthRepository) {}

  /** The village, if the principal may act on it; 404 if it does not exist, 403 if out of scope. */
  async village(principal: Principal, villageId: string): Promise<VillageRef> {
    const v = await this.villages.get(villageId, () => this.repo.villageRef(villageId));
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
    const s = await this.shops.get(shopId, () => this.repo.shopRef(shopId));
    if (!s) throw new AppError('SHOP.NOT_FOUND');
    if (s.townId !== principal.townId) throw new AppError('AUTH.OUT_OF_SCOPE');
    const ownShop = principal.kind === 'terminal' ? principal.shopId : principal.shopId;
    if (ownShop && ownShop !== s.id) throw new AppError('AUTH.OUT_OF_SCOPE');
    if (principal.kind === 'staff' && principal.villageId) throw new AppError('AUTH.OUT_OF_SCOPE');
    return s;
  }
}

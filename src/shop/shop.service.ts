import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { isUniqueViolation } from '@app/common/idempotency';
import type { CreateShopDto, ShopDto } from './shop.dto';
import { ShopRepository } from './shop.repository';

@Injectable()
export class ShopService {
  constructor(
    private readonly repo: ShopRepository,
    private readonly audit: AuditService,
  ) {}

  async create(ctx: RequestContext, dto: CreateShopDto): Promise<ShopDto> {
    const townId = ctx.principal.townId;
    if ((await this.repo.countVillagesInTown(townId, dto.villageIds)) !== dto.villageIds.length) {
      throw new AppError('AUTH.OUT_OF_SCOPE', 'a village is not in your town');
    }
    const shop = await this.repo.insertShop(townId, dto.code, dto.name, dto.villageIds).catch((err: { code?: string }) => {
      if (isUniqueViolation(err)) throw new AppError('SHOP.CODE_TAKEN');
      throw err;
    });
    await this.audit.record(ctx, { action: 'shop.create', targetType: 'shop', targetId: shop.id, summary: { code: shop.code, villageIds: shop.villageIds } });
    return shop;
  }

  /** The town's shops; a shop clerk sees their own shop only. */
  list(ctx: RequestContext): Promise<ShopDto[]> {
    const p = ctx.principal;
    if (p.kind === 'staff' && p.role === 'shop_clerk') return p.shopId ? this.repo.listOneShopOfTown(p.townId, p.shopId) : Promise.resolve([]);
    return this.repo.listShopsOfTown(p.townId);
  }
}

import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import { ROLES } from '@app/auth/auth.entities';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { VillageIdParam } from '@app/org/org.dto';
import {
  AdoptVersionDto,
  CatalogAdoptionDto,
  CatalogItemDto,
  CatalogVersionDto,
  CreateVillageItemDto,
  ItemCodeParam,
  ItemQuery,
  ListItemsQuery,
  RetireVillageItemDto,
  VillageItemParam,
} from './catalog.dto';
import { CatalogService } from './catalog.service';

@ApiTags('catalog 积分目录')
@Controller()
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('catalog/versions')
  @Roles(...ROLES)
  @ApiOperation({ summary: '目录版本及本镇的采用记录' })
  @ApiOkResponse({ type: [CatalogVersionDto] })
  versions(@Ctx() ctx: RequestContext): Promise<CatalogVersionDto[]> {
    return this.catalog.listVersions(ctx);
  }

  @Get('catalog/items')
  @Roles(...ROLES)
  @ApiOperation({ summary: '今天生效的目录事项（含本村自设事项），每项附规则说明' })
  @ApiOkResponse({ type: [CatalogItemDto] })
  @ApiErrors('CATALOG.NO_VERSION_ADOPTED', 'ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  items(@Ctx() ctx: RequestContext, @Query() q: ListItemsQuery): Promise<CatalogItemDto[]> {
    return this.catalog.listItems(ctx, q);
  }

  @Get('catalog/items/:code')
  @Roles(...ROLES)
  @ApiOperation({ summary: '今天生效的某一事项' })
  @ApiOkResponse({ type: CatalogItemDto })
  @ApiErrors('CATALOG.NO_VERSION_ADOPTED', 'CATALOG.ITEM_NOT_FOUND', 'ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  item(@Ctx() ctx: RequestContext, @Param() p: ItemCodeParam, @Query() q: ItemQuery): Promise<CatalogItemDto> {
    return this.catalog.getItem(ctx, p.code, q.villageId);
  }

  @Post('catalog/adoptions')
  @Roles('town_admin')
  @ApiOperation({ summary: '本镇自某日起采用某目录版本（不早于今天；已采用的版本事项不可更改）' })
  @ApiCreatedResponse({ type: CatalogAdoptionDto })
  @ApiErrors('CATALOG.ADOPTION_IN_PAST', 'CATALOG.VERSION_NOT_FOUND', 'CATALOG.ADOPTION_EXISTS')
  adopt(@Ctx() ctx: RequestContext, @Body() dto: AdoptVersionDto): Promise<CatalogAdoptionDto> {
    return this.catalog.adopt(ctx, dto);
  }

  @Post('villages/:villageId/items')
  @Roles('town_admin', 'village_reviewer')
  @ApiOperation({ summary: '新增村自设事项（V01–V99，受本镇数量与分值限制）' })
  @ApiCreatedResponse({ type: CatalogItemDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CATALOG.INVALID_RULE', 'CATALOG.ITEM_CODE_TAKEN', 'CATALOG.VILLAGE_ITEM_LIMIT')
  createVillageItem(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Body() dto: CreateVillageItemDto): Promise<CatalogItemDto> {
    return this.catalog.createVillageItem(ctx, p.villageId, dto);
  }

  @Post('villages/:villageId/items/:itemId/retire')
  @HttpCode(200)
  @Roles('town_admin', 'village_reviewer')
  @ApiOperation({ summary: '停用村自设事项（自今天起不再用于新的记分，不再占用本镇限额；编号不再复用）' })
  @ApiOkResponse({ type: CatalogItemDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CATALOG.ITEM_NOT_FOUND', 'CATALOG.ITEM_RETIRED')
  retireVillageItem(@Ctx() ctx: RequestContext, @Param() p: VillageItemParam, @Body() dto: RetireVillageItemDto): Promise<CatalogItemDto> {
    return this.catalog.retireVillageItem(ctx, p.villageId, p.itemId, dto);
  }

  @Get('villages/:villageId/items')
  @Roles(...ROLES)
  @ApiOperation({ summary: '村自设事项（含已停用的，附停用日期）' })
  @ApiOkResponse({ type: [CatalogItemDto] })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  villageItems(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam): Promise<CatalogItemDto[]> {
    return this.catalog.listVillageItems(ctx, p.villageId);
  }
}

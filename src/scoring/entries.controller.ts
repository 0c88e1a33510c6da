import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { CreateEntryDto, EntryDto, EntryIdParam, EntryPageDto, ListEntriesQuery, VillageIdParam, WithdrawEntryDto } from './entries.dto';
import { EntriesService } from './entries.service';

@ApiTags('entries 积分记录')
@Controller()
export class EntriesController {
  constructor(private readonly entries: EntriesService) {}

  @Post('villages/:villageId/entries')
  @Roles('village_clerk')
  @ApiOperation({ summary: '录入一条积分记录：分值由目录规则计算；计入本村当前开放期间' })
  async create(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Body() dto: CreateEntryDto, @Res({ passthrough: true }) res: Response): Promise<EntryDto> {
    const { entry, replayed } = await this.entries.create(ctx, p.villageId, dto);
    if (replayed) res.status(200).setHeader('idempotent-replayed', 'true');
    return entry;
  }

  @Get('villages/:villageId/entries')
  @Roles('village_clerk', 'village_reviewer', 'town_admin', 'auditor')
  @ApiOperation({ summary: '本村某期间的积分记录（默认当前开放期间），附计分说明' })
  list(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Query() q: ListEntriesQuery): Promise<EntryPageDto> {
    return this.entries.list(ctx, p.villageId, q);
  }

  @Get('entries/:id')
  @Roles('village_clerk', 'village_reviewer', 'town_admin', 'auditor')
  @ApiOperation({ summary: '一条积分记录' })
  get(@Ctx() ctx: RequestContext, @Param() p: EntryIdParam): Promise<EntryDto> {
    return this.entries.get(ctx, p.id);
  }

  @Post('entries/:id/withdraw')
  @HttpCode(200)
  @Roles('village_clerk')
  @ApiOperation({ summary: '撤回一条记录（仅在期间开放、尚未评议时；追加事件，不删除）' })
  withdraw(@Ctx() ctx: RequestContext, @Param() p: EntryIdParam, @Body() dto: WithdrawEntryDto): Promise<EntryDto> {
    return this.entries.withdraw(ctx, p.id, dto.reason);
  }
}

import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { DashboardDto, DashboardQuery } from './dashboard.dto';
import { DashboardService } from './dashboard.service';

@ApiTags('audit 审计查询')
@Controller('towns/current')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('dashboard')
  @Roles('town_admin', 'auditor')
  @ApiOkResponse({ type: DashboardDto })
  @ApiOperation({ summary: '镇首页：各村本期进度（周期状态、录入条数、逾期关账/公示、未答复与逾期异议、信用平台待报），近 6 个月各村加减分、热门事项、等级分布、各超市兑换' })
  get(@Ctx() ctx: RequestContext, @Query() q: DashboardQuery): Promise<DashboardDto> {
    return this.dashboard.dashboard(ctx, q.period);
  }
}

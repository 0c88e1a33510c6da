import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { CreditExportFailedQuery, CreditExportFailedRowDto, CreditExportMonthDto, CreditExportMonthsQuery, CreditExportStatusDto } from './credit-export.dto';
import { CreditExportService } from './credit-export.service';

export class CreditExportRetryDto {
  @ApiProperty({ type: 'integer', description: '放回待发的条数' }) requeued: number;
  @ApiProperty({ description: '是否已排队立即报送（Redis 不可用时为 false，10 分钟定时任务会补上）' }) queued: boolean;
}

@ApiTags('credit-export 信用平台报送')
@Controller('credit-export')
export class CreditExportController {
  constructor(private readonly exports: CreditExportService) {}

  @Get('status')
  @Roles('auditor', 'town_admin')
  @ApiOperation({ summary: '向公共信用信息平台报送的状态（待发、已发、失败及最近错误）' })
  @ApiOkResponse({ type: [CreditExportStatusDto] })
  status(@Ctx() ctx: RequestContext) {
    return this.exports.status(ctx.principal.townId);
  }

  @Get('months')
  @Roles('auditor', 'town_admin')
  @ApiOperation({ summary: '按入账期间的报送状态：待发、已发、失败条数，最近一次成功时间与平台答复（默认近 12 个月，新的在前）' })
  @ApiOkResponse({ type: [CreditExportMonthDto] })
  months(@Ctx() ctx: RequestContext, @Query() q: CreditExportMonthsQuery): Promise<CreditExportMonthDto[]> {
    return this.exports.months(ctx.principal.townId, q.from);
  }

  @Get('failed')
  @Roles('auditor', 'town_admin')
  @ApiOperation({ summary: '报送失败的记录（最早的在前）：村、村民、事项、积分、尝试次数与平台的答复' })
  @ApiOkResponse({ type: [CreditExportFailedRowDto] })
  failed(@Ctx() ctx: RequestContext, @Query() q: CreditExportFailedQuery): Promise<CreditExportFailedRowDto[]> {
    return this.exports.failedRows(ctx.principal.townId, q.limit ?? 100, q.period);
  }

  @Post('retry')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '把报送失败的记录重新放回待发队列并立即报送（平台故障排除后）' })
  @ApiOkResponse({ type: CreditExportRetryDto })
  retry(@Ctx() ctx: RequestContext) {
    return this.exports.retryFailed(ctx);
  }
}

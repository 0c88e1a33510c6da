import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CreditExportStatusDto } from '@app/auditor/auditor.dto';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
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

  @Post('retry')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '把报送失败的记录重新放回待发队列并立即报送（平台故障排除后）' })
  @ApiOkResponse({ type: CreditExportRetryDto })
  retry(@Ctx() ctx: RequestContext) {
    return this.exports.retryFailed(ctx);
  }
}

import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { CreditExportService } from './credit-export.service';

@ApiTags('credit-export 信用平台报送')
@Controller('credit-export')
export class CreditExportController {
  constructor(private readonly exports: CreditExportService) {}

  @Get('status')
  @Roles('auditor', 'town_admin')
  @ApiOperation({ summary: '向公共信用信息平台报送的状态（待发、已发、失败及最近错误）' })
  status(@Ctx() ctx: RequestContext) {
    return this.exports.status(ctx.principal.townId);
  }
}

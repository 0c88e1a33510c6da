import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { AuditLogService } from './audit-log.service';
import { AuditLogPageDto, AuditLogQuery } from './audit.dto';

@ApiTags('audit 审计查询')
@Controller('audit')
export class AuditLogController {
  constructor(private readonly auditLog: AuditLogService) {}

  @Get('log')
  @Roles('auditor', 'town_admin')
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiOperation({ summary: '操作日志查询（操作人、操作、对象、时间；按时间倒序，游标分页，每页最多 500 条）' })
  log(@Ctx() ctx: RequestContext, @Query() q: AuditLogQuery): Promise<AuditLogPageDto> {
    return this.auditLog.search(ctx, q);
  }
}

import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { CONSOLE_HEADER, hasConsoleHeader } from '@app/auth/refresh-cookie';
import { ApiErrors } from '@app/common/errors/api-errors';
import { AppError } from '@app/common/errors/app-error';
import { DASHBOARD_PATH, setDashboardCookie } from '@app/queue/queue-dashboard';
import { HeartbeatEnqueuedDto, HeartbeatJobParams, HeartbeatStatusDto, QueueDashboardSessionDto } from './system.dto';
import { SystemService } from './system.service';

@ApiTags('system 系统')
@Controller('system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Post('heartbeat')
  @HttpCode(202)
  @Roles('town_admin')
  @ApiOperation({ summary: '投递一个心跳任务（检查 api → 队列 → worker → 数据库）' })
  @ApiAcceptedResponse({ type: HeartbeatEnqueuedDto })
  requestHeartbeat(@Ctx() ctx: RequestContext): Promise<HeartbeatEnqueuedDto> {
    return this.system.requestHeartbeat(ctx);
  }

  @Get('heartbeat/:jobId')
  @Roles('town_admin')
  @ApiOperation({ summary: '心跳任务是否已被 worker 处理' })
  @ApiOkResponse({ type: HeartbeatStatusDto })
  heartbeatStatus(@Param() params: HeartbeatJobParams): Promise<HeartbeatStatusDto> {
    return this.system.heartbeatStatus(params.jobId);
  }

  @Post('queue-dashboard/session')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiErrors('AUTH.CONSOLE_HEADER_REQUIRED')
  @ApiHeader({ name: CONSOLE_HEADER, required: true, description: '控制台请求头（任意非空值，如 1）：网页表单无法伪造' })
  @ApiOperation({ summary: '为已登录的镇管理员打开任务队列面板（只读）：把本次登录的访问令牌放进只发往 /admin/queues 的 HttpOnly Cookie，不放在地址里；须带 x-xinyi-console 请求头' })
  @ApiOkResponse({ type: QueueDashboardSessionDto })
  async queueDashboardSession(@Ctx() ctx: RequestContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<QueueDashboardSessionDto> {
    if (!hasConsoleHeader(req)) throw new AppError('AUTH.CONSOLE_HEADER_REQUIRED');
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const expiresAt = accessTokenExpiry(token);
    await this.system.openQueueDashboard(ctx, expiresAt);
    setDashboardCookie(req, res, token, Math.max(0, expiresAt.getTime() - Date.now()));
    return { url: DASHBOARD_PATH, expiresAt };
  }
}

/** The `exp` of an access token the guard has already verified (so its payload is ours). */
function accessTokenExpiry(token: string): Date {
  const exp = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { exp?: number }).exp;
  return new Date((exp ?? 0) * 1000);
}

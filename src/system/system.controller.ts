import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { HeartbeatEnqueuedDto, HeartbeatJobParams, HeartbeatStatusDto } from './system.dto';
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
}

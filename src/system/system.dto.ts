import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

export class HeartbeatJobParams {
  @ApiProperty({ description: '心跳任务编号', example: 'heartbeat-2f0c7c1e' })
  @Matches(/^heartbeat-[0-9a-f-]{8,36}$/, { message: 'jobId must look like heartbeat-<hex>' })
  jobId: string;
}

export class HeartbeatEnqueuedDto {
  @ApiProperty({ description: '心跳任务编号' })
  jobId: string;

  @ApiProperty({ description: '是否已进入队列（Redis 不可用时为 false）' })
  queued: boolean;
}

export class HeartbeatStatusDto {
  @ApiProperty({ description: '任务编号' })
  jobId: string;

  @ApiProperty({ description: '是否已被 worker 处理' })
  processed: boolean;

  @ApiProperty({ description: '处理该任务的 worker', required: false })
  worker?: string;

  @ApiProperty({ description: '处理时间', required: false })
  processedAt?: Date;
}

export class QueueDashboardSessionDto {
  @ApiProperty({ description: '任务队列面板地址（同源，新窗口打开）', example: '/admin/queues' })
  url: string;

  @ApiProperty({ description: '面板 Cookie 的失效时间（与本次登录的访问令牌相同；过期后从控制台重新打开）' })
  expiresAt: Date;
}

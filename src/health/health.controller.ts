import { Controller, Get, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '@app/auth/auth.decorators';
import { HealthDto, HealthIndicatorDto } from './health.dto';
import { RedisHealthIndicator } from './redis-health';

@ApiTags('health 健康检查')
@ApiExtraModels(HealthIndicatorDto)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** 200 when PostgreSQL and Redis both answer, else 503; each part reported separately. */
  @Get()
  @Public()
  @ApiOperation({ summary: '健康检查：数据库与 Redis 分别报告，任一不可用时 503' })
  @ApiOkResponse({ type: HealthDto, description: '数据库与 Redis 都可用' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: '至少一部分不可用（见 error）' })
  async check(@Res() res: Response): Promise<void> {
    const checks = [() => this.db.pingCheck('database', { timeout: 1000 }), () => this.redis.isHealthy('redis')];
    try {
      res.status(200).json(await this.health.check(checks));
    } catch (err) {
      const body = (err as { getResponse?: () => HealthCheckResult }).getResponse?.();
      res.status(503).json(body ?? { status: 'error' });
    }
  }
}

import { Controller, Get, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply as Response } from 'fastify';
import { Public } from '@app/auth/auth.decorators';
import { HealthDto, HealthIndicatorDto, LiveDto } from './health.dto';
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
  check(@Res() res: Response): Promise<void> {
    return this.dependencies(res);
  }

  /** Liveness: the process answers. No dependency is asked, so an outage never restarts it. */
  @Get('live')
  @Public()
  @ApiOperation({ summary: '存活检查：进程在运行即 200（不检查依赖）' })
  @ApiOkResponse({ type: LiveDto, description: '进程在运行' })
  live(): LiveDto {
    return { status: 'ok' };
  }

  /** Readiness: PostgreSQL and Redis reachable (as /health); 503 takes the replica out of rotation. */
  @Get('ready')
  @Public()
  @ApiOperation({ summary: '就绪检查：数据库与 Redis 均可用时 200，否则 503' })
  @ApiOkResponse({ type: HealthDto, description: '数据库与 Redis 都可用' })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: '至少一部分不可用（见 error）' })
  ready(@Res() res: Response): Promise<void> {
    return this.dependencies(res);
  }

  private async dependencies(res: Response): Promise<void> {
    const checks = [() => this.db.pingCheck('database', { timeout: 1000 }), () => this.redis.isHealthy('redis')];
    try {
      await res.code(200).send(await this.health.check(checks));
    } catch (err) {
      const body = (err as { getResponse?: () => HealthCheckResult }).getResponse?.();
      await res.code(503).send(body ?? { status: 'error' });
    }
  }
}

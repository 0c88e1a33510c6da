import { ApiProperty, getSchemaPath, type ApiPropertyOptions } from '@nestjs/swagger';

export class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiProperty({ required: false, description: '不可用时的原因' }) message?: string;
}

const parts = (description: string, required = true) =>
  ({ type: 'object', description, selfRequired: required, additionalProperties: { $ref: getSchemaPath(HealthIndicatorDto) } }) as ApiPropertyOptions;

/** Terminus' health check result: each part reported separately. */
export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status: 'ok' | 'error' | 'shutting_down';
  @ApiProperty(parts('正常的部分', false)) info?: Record<string, HealthIndicatorDto>;
  @ApiProperty(parts('不可用的部分', false)) error?: Record<string, HealthIndicatorDto>;
  @ApiProperty(parts('各部分（database、redis）的状态')) details: Record<string, HealthIndicatorDto>;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsTimestamp } from '@app/common/http/field-decorators';

export const MAX_PAGE = 500;

export class AuditLogQuery {
  @ApiPropertyOptional({ description: '操作人 ID（工作人员或终端 ID）' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actorId?: string;

  @ApiPropertyOptional({ description: '操作，如 cycle.publish、objection.answer', example: 'cycle.publish' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, { message: 'action must look like cycle.publish' })
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ description: '对象类型，如 cycle、entry、objection', example: 'cycle' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]*$/, { message: 'targetType must be lower-case letters, digits or _' })
  @MaxLength(50)
  targetType?: string;

  @ApiPropertyOptional({ description: '对象 ID' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  targetId?: string;

  @ApiPropertyOptional({ description: '起始时间（含），ISO 8601', example: '2026-03-01T00:00:00+08:00' })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: '截止时间（不含），ISO 8601', example: '2026-04-01T00:00:00+08:00' })
  @IsOptional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 50, description: '每页条数（最多 500）' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: '上一页返回的 nextCursor' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AuditLogEntryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '时间' }) at: Date;
  @ApiProperty({ enum: ['staff', 'terminal', 'system', 'public'], description: '操作人类型' }) actorType: string;
  @ApiProperty({ nullable: true, type: String, description: '操作人 ID（公众为来源地址）' }) actorId: string | null;
  @ApiProperty({ nullable: true, type: String, description: '角色' }) actorRole: string | null;
  @ApiProperty({ nullable: true, type: String, description: '操作人名称（工作人员姓名；终端为终端名称）' }) actorName: string | null;
  @ApiProperty({ nullable: true, type: String, description: '工作人员用户名（终端为终端名称）' }) actorUsername: string | null;
  @ApiProperty({ description: '操作' }) action: string;
  @ApiProperty({ nullable: true, type: String }) targetType: string | null;
  @ApiProperty({ nullable: true, type: String }) targetId: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: '摘要' }) summary: Record<string, unknown> | null;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogEntryDto] }) items: AuditLogEntryDto[];
  @ApiProperty({ nullable: true, type: String, description: '下一页游标；没有更多时为 null' }) nextCursor: string | null;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsPeriod } from '@app/common/http/field-decorators';

/** How many months the per-month status reaches back by default, the current one included. */
export const EXPORT_STATUS_MONTHS = 12;
export const MAX_FAILED_ROWS = 500;

/** Rows of the town's outbox per status (all periods). */
export class CreditExportStatusDto {
  @ApiProperty({ enum: ['pending', 'sent', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer' }) n: number;
  @ApiProperty({ nullable: true, type: Date, description: '最早一条的生成时间' }) oldest: Date | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
}

export class CreditExportMonthsQuery {
  @IsOptional()
  @IsPeriod({ required: false, description: '从此期起（含）；默认近 12 个月' })
  from?: string;
}

export class CreditExportFailedQuery {
  @IsOptional()
  @IsPeriod({ required: false, description: '只看此期的失败记录' })
  period?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_FAILED_ROWS, default: 100, description: '最多条数（最多 500）' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_FAILED_ROWS)
  limit?: number;
}

export class CreditExportMonthDto {
  @ApiProperty({ description: '入账期间', example: '2026-11' }) period: string;
  @ApiProperty({ type: 'integer', description: '待上报' }) pending: number;
  @ApiProperty({ type: 'integer', description: '已上报' }) sent: number;
  @ApiProperty({ type: 'integer', description: '上报失败（已重试 10 次，待镇管理员重新上报）' }) failed: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '最近一次上报成功的时间' }) lastSentAt: Date | null;
  @ApiProperty({ type: String, nullable: true, description: '未上报记录最近一次的平台答复或错误' }) lastError: string | null;
}

export class CreditExportFailedRowDto {
  @ApiProperty({ description: '报送记录编号' }) id: string;
  @ApiProperty({ description: '记账编号' }) postingId: string;
  @ApiProperty({ description: '入账期间' }) period: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村名称' }) villageName: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ type: String, nullable: true, description: '事项编码' }) itemCode: string | null;
  @ApiProperty({ type: String, nullable: true, description: '事项名称' }) itemName: string | null;
  @ApiProperty({ type: 'integer', description: '积分' }) points: number;
  @ApiProperty({ type: 'integer', description: '已尝试次数' }) attempts: number;
  @ApiProperty({ type: String, nullable: true, description: '平台最近一次的答复（HTTP 状态与答复内容）或连接错误' }) lastError: string | null;
  @ApiProperty({ type: String, format: 'date-time', description: '生成时间' }) createdAt: Date;
}

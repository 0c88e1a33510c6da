import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_PAGE } from '@app/audit/audit.dto';
import { IsPeriod, IsTimestamp, PERIOD_PATTERN } from '@app/common/http/field-decorators';
import { POSTING_KINDS, type PostingKind } from '@app/ledger/ledger.entities';
import { CreditExportStatusDto } from '@app/credit-export/credit-export.dto';
import { BrokenLinkDto, CheckpointProblemDto, CheckpointReportDto } from '@app/ledger/ledger.dto';
import type { ChainReport } from '@app/ledger/ledger.types';
import { CYCLE_STATES, type CycleState } from '@app/review/review.entities';

/** Filters of the postings search and its CSV/XLSX exports. */
export class PostingFilterQuery {
  @ApiPropertyOptional({ format: 'uuid', description: '村民（账户）ID' })
  @IsOptional()
  @IsUUID('all')
  residentId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: '村（社区）ID' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;

  @ApiPropertyOptional({ description: '事项编码', example: 'T10' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,20}$/, { message: 'itemCode must be 1–20 letters, digits, _ or -' })
  itemCode?: string;

  @ApiPropertyOptional({ enum: POSTING_KINDS, description: '记账类型' })
  @IsOptional()
  @IsIn(POSTING_KINDS)
  kind?: PostingKind;

  @ApiPropertyOptional({ description: '所属期间起（含）', example: '2026-01', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'periodFrom must be a period YYYY-MM' })
  periodFrom?: string;

  @ApiPropertyOptional({ description: '所属期间止（含）', example: '2026-12', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'periodTo must be a period YYYY-MM' })
  periodTo?: string;

  @ApiPropertyOptional({ description: '记账时间起（含），ISO 8601', example: '2026-03-01T00:00:00+08:00' })
  @IsOptional()
  @IsTimestamp()
  postedFrom?: string;

  @ApiPropertyOptional({ description: '记账时间止（不含），ISO 8601', example: '2026-04-01T00:00:00+08:00' })
  @IsOptional()
  @IsTimestamp()
  postedTo?: string;
}

export class PostingSearchQuery extends PostingFilterQuery {
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

export class ResidentIdParams {
  @ApiProperty({ format: 'uuid', description: '村民 ID' })
  @IsUUID('all')
  residentId: string;
}

export class TimelinessQuery {
  @IsPeriod()
  period: string;
}

/** Most months one timeliness export covers (villages × months rows). */
export const MAX_TIMELINESS_MONTHS = 24;

export class TimelinessExportQuery {
  @IsPeriod({ description: '起始期间（含）' })
  from: string;

  @ApiPropertyOptional({ description: `截止期间（含，默认同起始期间；最多 ${MAX_TIMELINESS_MONTHS} 个月）`, example: '2026-12', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'to must be a period YYYY-MM' })
  to?: string;
}

export class CheckpointListQuery {
  @ApiPropertyOptional({ format: 'uuid', description: '村（社区）ID' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;

  @ApiPropertyOptional({ description: '期间起（含）', example: '2026-01', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'periodFrom must be a period YYYY-MM' })
  periodFrom?: string;

  @ApiPropertyOptional({ description: '期间止（含）', example: '2026-12', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'periodTo must be a period YYYY-MM' })
  periodTo?: string;
}

export class CheckpointItemDto {
  @ApiProperty({ format: 'uuid', description: '评议周期 ID' }) cycleId: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村编码' }) villageCode: string;
  @ApiProperty({ description: '村（社区）' }) villageName: string;
  @ApiProperty({ description: '期间' }) period: string;
  @ApiProperty({ description: '入账核验码（各账户链头的哈希）' }) hash: string;
  @ApiProperty({ type: 'integer', description: '核验码覆盖的账户数' }) accounts: number;
  @ApiProperty({ description: '生成时间（入账时）' }) createdAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: '公示时间' }) publishedAt: Date | null;
  @ApiProperty({ description: '公示栏（可打印页面，公开）', example: '/api/v1/public/boards/…/2026-11.html' }) boardUrl: string;
}

export class CheckpointListDto {
  @ApiProperty({ type: [CheckpointItemDto], description: '按期间倒序、村编码' }) items: CheckpointItemDto[];
}

export class PostingDto {
  @ApiProperty({ description: '记账编号' }) id: string;
  @ApiProperty({ description: '记账时间' }) postedAt: Date;
  @ApiProperty({ description: '所属期间' }) period: string;
  @ApiProperty({ enum: POSTING_KINDS, description: '类型' }) kind: PostingKind;
  @ApiProperty({ type: 'integer', description: '积分' }) points: number;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村名称' }) villageName: string;
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '村民姓名（审计人员可见全名）' }) residentName: string;
  @ApiProperty({ type: 'integer', description: '账户内序号' }) seq: number;
  @ApiProperty({ nullable: true, type: String, description: '事项编码' }) itemCode: string | null;
  @ApiProperty({ nullable: true, type: String, description: '摘要（积分事项为事项名称）' }) memo: string | null;
  @ApiProperty({ description: '来源' }) sourceRef: string;
  @ApiProperty({ description: '对方（town:… 发放 / shop:… 兑换）' }) counterparty: string;
  @ApiProperty({ description: '本条哈希' }) hash: string;
}

export class PostingPageDto {
  @ApiProperty({ type: [PostingDto] }) items: PostingDto[];
  @ApiProperty({ nullable: true, type: String, description: '下一页游标；没有更多时为 null' }) nextCursor: string | null;
}

export class VillageTimelinessDto {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty() villageCode: string;
  @ApiProperty() villageName: string;
  @ApiProperty({ enum: CYCLE_STATES, nullable: true }) state: CycleState | null;
  @ApiProperty({ nullable: true, type: Date, description: '关账时间' }) closedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: '评议完成时间' }) reviewedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: '公示时间' }) publishedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: '异议期结束' }) windowEndsAt: Date | null;
  @ApiProperty({ nullable: true, type: Date, description: '入账时间' }) finalizedAt: Date | null;
  @ApiProperty({ description: '逾期关账' }) closeLate: boolean;
  @ApiProperty({ description: '逾期公示' }) publishLate: boolean;
  @ApiProperty({ description: '逾期未入账' }) finalizeOverdue: boolean;
  @ApiProperty({ type: 'integer', description: '重开次数' }) reopenCount: number;
  @ApiProperty({ type: 'integer', description: '异议数' }) objections: number;
  @ApiProperty({ type: 'integer', description: '逾期答复的异议数（答复晚于期限）' }) answeredLate: number;
  @ApiProperty({ type: 'integer', description: '仍未答复且已逾期的异议数' }) openOverdue: number;
  @ApiProperty({ type: 'integer', description: '待上报信用平台条数' }) exportPending: number;
  @ApiProperty({ type: 'integer', description: '上报失败条数' }) exportFailed: number;
  @ApiProperty({ nullable: true, type: String, description: '最近一次上报错误' }) exportLastError: string | null;
}

export class TimelinessDto {
  @ApiProperty() period: string;
  @ApiProperty({ description: '关账截止（不含）' }) closeBy: Date;
  @ApiProperty({ description: '公示截止（不含）' }) publishBy: Date;
  @ApiProperty({ type: [VillageTimelinessDto] }) villages: VillageTimelinessDto[];
  @ApiProperty({ type: [CreditExportStatusDto], description: '本镇信用平台上报状态（全部期间）' }) creditExport: CreditExportStatusDto[];
}

// BrokenLinkDto is the ledger's (one schema per name in the document).

export class LedgerReportDto implements ChainReport {
  @ApiProperty({ nullable: true, type: String }) townId: string | null;
  @ApiProperty() ok: boolean;
  @ApiProperty({ type: 'integer' }) accountsChecked: number;
  @ApiProperty({ type: 'integer' }) postingsChecked: number;
  @ApiProperty({ type: [BrokenLinkDto] }) broken: BrokenLinkDto[];
}

// CheckpointProblemDto and CheckpointReportDto are the ledger's (its verifier checks checkpoints).

export class BrokenAccountDto {
  @ApiProperty({ format: 'uuid', description: '账户（村民）ID' }) residentId: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ description: '积分卡号' }) cardCode: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村（社区）' }) villageName: string;
}

export class FirstBrokenDto {
  @ApiProperty({ enum: ['ledger', 'checkpoint'] }) source: 'ledger' | 'checkpoint';
  @ApiProperty({ description: '账户链（source=ledger）或周期核验码（source=checkpoint）的第一个断点', anyOf: [{ $ref: getSchemaPath(BrokenLinkDto) }, { $ref: getSchemaPath(CheckpointProblemDto) }] })
  link: BrokenLinkDto | CheckpointProblemDto;
  @ApiProperty({ type: BrokenAccountDto, nullable: true, description: '断点所在账户的村民（核验码整体不符、不涉及单个账户时为 null）' }) account: BrokenAccountDto | null;
  @ApiProperty({ nullable: true, type: String, description: '断点所在的村（社区）' }) villageName: string | null;
}

export class AuditVerifyDto {
  @ApiProperty({ description: '账本与全部入账核验码均无问题' }) ok: boolean;
  @ApiProperty() checkedAt: Date;
  @ApiProperty({ type: LedgerReportDto, description: '各账户哈希链与余额' }) ledger: LedgerReportDto;
  @ApiProperty({ type: CheckpointReportDto, description: '各村各期入账核验码' }) checkpoints: CheckpointReportDto;
  @ApiProperty({ type: FirstBrokenDto, nullable: true, description: '第一个断点（无问题时为 null）' }) firstBroken: FirstBrokenDto | null;
  @ApiProperty({ type: [BrokenAccountDto], description: '所有断点涉及账户的村民（按账户 ID）' }) accounts: BrokenAccountDto[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsPeriod, IsCalendarDate, MaxDecimalPlaces } from '@app/common/http/field-decorators';
import { ENTRY_STATUSES, type EntryStatus } from './entry.entities';

export const DATE_PATTERN = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const ITEM_CODE_PATTERN = /^[TBV]\d{2}$/;

export class CreateEntryDto {
  @ApiProperty({ description: '村民 ID', format: 'uuid' })
  @IsUUID('all')
  residentId: string;

  @ApiProperty({ description: '事项编码（T01…T66 守信，B01…B87 失信，V01… 本村自设）', example: 'T01' })
  @Matches(ITEM_CODE_PATTERN, { message: 'itemCode must look like T01, B01 or V01' })
  itemCode: string;

  @ApiProperty({ description: '发生日期（上月 1 日至今天）', example: '2026-11-20' })
  @Matches(DATE_PATTERN, { message: 'occurredOn must be a date YYYY-MM-DD' })
  @IsCalendarDate()
  occurredOn: string;

  @ApiPropertyOptional({ description: '数量（按单位计分、累计档次事项必填，如志愿服务小时数、捐款元数）', example: 4 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @MaxDecimalPlaces(6)
  @Min(0)
  @Max(1_000_000)
  quantity?: number;

  @ApiPropertyOptional({ description: '分值（仅区间事项：议事会在区间内选定的分值，正整数）', example: 5 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  points?: number;

  @ApiPropertyOptional({ description: '理由（区间事项必填）', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ description: '证据说明（照片编号、证明人等）', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  evidenceNote?: string;

  @ApiPropertyOptional({ description: '幂等键：同一键同一内容重复提交只记一次', maxLength: 100 })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/, { message: 'idempotencyKey must be 8–100 of A-Z a-z 0-9 . _ : -' })
  idempotencyKey?: string;
}

export class VillageIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  villageId: string;
}

export class EntryIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  id: string;
}

export class WithdrawEntryDto {
  @ApiProperty({ description: '撤回原因', maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class ListEntriesQuery {
  @IsOptional()
  @IsPeriod({ required: false, description: '期间，默认为本村当前开放期间' })
  period?: string;

  @ApiPropertyOptional({ enum: ENTRY_STATUSES })
  @IsOptional()
  @IsIn(ENTRY_STATUSES)
  status?: EntryStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  residentId?: string;

  @ApiPropertyOptional({ example: 'B01' })
  @IsOptional()
  @Matches(ITEM_CODE_PATTERN, { message: 'itemCode must look like T01, B01 or V01' })
  itemCode?: string;

  @ApiPropertyOptional({ description: '上一页最后一条的 id（游标分页）', format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  after?: string;

  @ApiPropertyOptional({ description: '每页条数（1–500）', default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class TemplateQuery {
  @ApiPropertyOptional({ enum: ['csv', 'xlsx'], default: 'xlsx' })
  @IsOptional()
  @IsIn(['csv', 'xlsx'])
  format?: 'csv' | 'xlsx';

  @ApiPropertyOptional({ format: 'uuid', description: '按该村现行目录（含村自设事项）生成；默认为本人所在村，镇级账号为全镇目录' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;
}

export class ExplanationDto {
  @ApiProperty({ type: [String], description: '规则代码' }) codes: string[];
  @ApiProperty({ description: '计分说明' }) text: string;
}

export class EntryDto {
  @ApiProperty() id: string;
  @ApiProperty() villageId: string;
  @ApiProperty() residentId: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ description: '卡号' }) cardCode: string;
  @ApiProperty({ description: '事项编码' }) itemCode: string;
  @ApiProperty({ description: '事项名称' }) itemName: string;
  @ApiProperty({ description: '类别' }) category: string;
  @ApiProperty({ description: '期间（计入哪个月的评议）', example: '2026-11' }) period: string;
  @ApiProperty({ description: '发生日期' }) occurredOn: string;
  @ApiProperty({ type: Number, nullable: true, description: '数量' }) quantity: number | null;
  @ApiProperty({ type: Number, nullable: true, description: '议事会选定分值（区间事项）' }) chosenPoints: number | null;
  @ApiProperty({ description: '补录：发生月份已关账，计入之后的开放期间（发生日期见 occurredOn）' }) late: boolean;
  @ApiProperty({ description: '录入时按规则计算的分值（关账时按全期重算）' }) points: number;
  @ApiProperty({ type: Number, nullable: true, description: '关账评定后的分值' }) finalPoints: number | null;
  @ApiProperty({ type: ExplanationDto }) explanation: ExplanationDto;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, nullable: true }) evidenceNote: string | null;
  @ApiProperty({ enum: ENTRY_STATUSES }) status: EntryStatus;
  @ApiProperty({ description: '有异议' }) disputed: boolean;
  @ApiProperty({ type: String, nullable: true, description: '疑似重复：同一村民同一事项同一天的较早记录' }) duplicateOf: string | null;
  @ApiProperty() enteredBy: string;
  @ApiProperty() enteredAt: Date;
  @ApiProperty({ description: '记录编号（公示栏与异议引用；录入时分配，不再改变）', example: 'DC-2611-0042' }) recordNo: string;
}

/** What an entry would be, were it created now: nothing is stored. */
export class EntryPreviewDto {
  @ApiProperty({ description: '将计入的期间（发生月份开放时为该月，否则为之后的开放期间）', example: '2026-11' }) period: string;
  @ApiProperty({ description: '补录：发生月份已关账，将计入之后的开放期间' }) late: boolean;
  @ApiProperty({ description: '发生日期', example: '2026-11-20' }) occurredOn: string;
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ description: '事项编码', example: 'B01' }) itemCode: string;
  @ApiProperty({ description: '事项名称' }) itemName: string;
  @ApiProperty({ description: '类别（守信/失信/本村）' }) category: string;
  @ApiProperty({ description: '按目录规则计算的分值（该期间现有记录加上本条；关账时按全期重算）', example: -10 }) points: number;
  @ApiProperty({ type: ExplanationDto, description: '本条的计分说明（中文）' }) explanation: ExplanationDto;
  @ApiProperty({ description: '事项规则（中文）', example: '年内第 2 次起每次 -10 分，此前记录警告' }) rule: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: '将被标记为疑似重复：同一村民同一事项同一天的较早记录' }) duplicateOf: string | null;
}

export class EntryPageDto {
  @ApiProperty({ type: [EntryDto] }) items: EntryDto[];
  @ApiProperty({ description: '本页所列的期间（查询参数 period，默认为本月开放期间）', example: '2026-12' }) period: string;
  @ApiProperty({ type: [String], description: '本村开放中的期间（月初几天上月与本月可能同时开放），从早到晚', example: ['2026-11', '2026-12'] }) openPeriods: string[];
  @ApiProperty({ type: String, nullable: true, description: '下一页游标' }) next: string | null;
}

export class UploadPeriodCountDto {
  @ApiProperty({ description: '期间', example: '2026-11' }) period: string;
  @ApiProperty({ description: '计入该期间的条数' }) created: number;
  @ApiProperty({ description: '其中补录条数（发生月份已关账）' }) late: number;
}

export class UploadResultDto {
  @ApiProperty() batchId: string;
  @ApiProperty({ description: '计入的期间（跨期间时为最早的一个，各期间见 periods）' }) period: string;
  @ApiProperty({ type: [UploadPeriodCountDto], description: '按期间的条数：每条记录计入其发生月份（该月已关账则计入之后的开放期间，为补录）' }) periods: UploadPeriodCountDto[];
  @ApiProperty({ description: '导入条数' }) created: number;
  @ApiProperty({ description: '疑似重复条数（已标记，待议事会判断）' }) flaggedDuplicates: number;
  @ApiProperty({ type: 'integer', description: '表头所在行（表头上方的标题行、空行已跳过）' }) headerRow: number;
}

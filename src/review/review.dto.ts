import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsPeriod, IsCalendarDate } from '@app/common/http/field-decorators';
import { DATE_PATTERN, ExplanationDto } from '@app/entries/entries.dto';
import { ENTRY_STATUSES, type EntryStatus } from '@app/entries/entry.entities';
import { CYCLE_STATES, OBJECTION_OUTCOMES, type CycleState, type ObjectionOutcome } from './review.entities';

export class CycleParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  villageId: string;

  @IsPeriod()
  period: string;
}

export class ReasonDto {
  @ApiProperty({ description: '原因', maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class MeetingDto {
  @ApiProperty({ description: '会议日期', example: '2026-12-03' })
  @Matches(DATE_PATTERN, { message: 'heldOn must be a date YYYY-MM-DD' })
  @IsCalendarDate()
  heldOn: string;

  @ApiProperty({ description: '参会人员', type: [String], example: ['王书记', '李主任', '村民代表张某'] })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(40, { each: true })
  attendees: string[];

  @ApiProperty({ description: '会议纪要', maxLength: 5000 })
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  minutes: string;
}

export class DecisionDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  entryId: string;

  @ApiProperty({ enum: ['approve', 'reject'], description: '通过 / 不通过' })
  @IsIn(['approve', 'reject'])
  decision: 'approve' | 'reject';

  @ApiPropertyOptional({ description: '不通过的理由（向录入员说明）', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason?: string;
}

export class DecisionsDto {
  @ApiProperty({ type: [DecisionDto], description: '逐条决定（可批量，最多 5000 条）' })
  @ArrayMinSize(1)
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => DecisionDto)
  decisions: DecisionDto[];
}

export class ObjectionDto {
  @ApiPropertyOptional({ format: 'uuid', description: '记录 ID（与 recordNo 二选一）' })
  @ValidateIf((o: ObjectionDto) => o.recordNo === undefined)
  @IsUUID('all')
  entryId?: string;

  @ApiPropertyOptional({ description: '公示栏上印的记录编号，如 DC-2611-0042（与 entryId 二选一；大小写、全角字符均可）', example: 'DC-2611-0042', maxLength: 40 })
  @ValidateIf((o: ObjectionDto) => o.entryId === undefined || o.recordNo !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  recordNo?: string;

  @ApiProperty({ description: '异议人姓名', maxLength: 40 })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  name: string;

  @ApiProperty({ description: '联系方式', maxLength: 60 })
  @IsString()
  @MinLength(3)
  @MaxLength(60)
  contact: string;

  @ApiProperty({ description: '异议理由', maxLength: 1000 })
  @IsString()
  @MinLength(2)
  @MaxLength(1000)
  reason: string;
}

export class BoardParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  villageId: string;

  @IsPeriod()
  period: string;
}

export class ObjectionIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  id: string;
}

export class AnswerDto {
  @ApiProperty({ enum: OBJECTION_OUTCOMES, description: 'upheld：异议成立，记录撤销；dismissed：异议不成立，记录照常入账' })
  @IsIn(OBJECTION_OUTCOMES)
  outcome: ObjectionOutcome;

  @ApiProperty({ description: '书面答复', maxLength: 2000 })
  @IsString()
  @MinLength(2)
  @MaxLength(2000)
  answer: string;
}

export class ObjectionQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;

  @ApiPropertyOptional({ description: '只看逾期未答复的', enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  overdue?: string;

  @ApiPropertyOptional({ description: '只看未答复的', enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  open?: string;
}

export class CycleSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '期间', example: '2026-11' }) period: string;
  @ApiProperty({ enum: CYCLE_STATES, description: 'open 开放录入 / closed 已关账 / reviewed 已评议 / publicized 公示中 / finalized 已入账' }) state: CycleState;
  @ApiProperty({ type: 'integer', description: '记录条数（含已撤回、未通过）' }) entries: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '按计划自动关账的时间（本镇关账日 00:10 北京时间）；仅开放且未被重开过的周期有' }) scheduledCloseAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reviewedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) publishedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '异议期截止' }) windowEndsAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finalizedAt: Date | null;
}

export class CycleListDto {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '本镇关账日：次月第几日 00:10 关闭上月周期', example: 5 }) closeDay: number;
  @ApiProperty({ type: [CycleSummaryDto], description: '本村的评议周期：开放的在前（从早到晚），其余从新到旧' }) cycles: CycleSummaryDto[];
}

// ---- responses -----------------------------------------------------------------------------

export class CycleDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) townId: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '期间（年-月）', example: '2026-11' }) period: string;
  @ApiProperty({ enum: CYCLE_STATES, description: 'open 开放录入 → closed 已关账 → reviewed 已评议 → publicized 公示中 → finalized 已入账' }) state: CycleState;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '关账时间' }) closedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '评议完成时间' }) reviewedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '公示时间' }) publishedAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '异议期结束时间' }) windowEndsAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '入账时间' }) finalizedAt: Date | null;
  @ApiProperty({ type: String, nullable: true, description: '入账核验码（各账户链头的哈希）' }) checkpointHash: string | null;
}

export class MeetingRecordDto {
  @ApiProperty({ description: '会议日期', example: '2026-12-03' }) heldOn: string;
  @ApiProperty({ type: [String], description: '参会人员' }) attendees: string[];
  @ApiProperty({ description: '会议纪要' }) minutes: string;
}

export class ReviewSheetEntryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '记录编号（公示栏与异议引用）', example: 'DC-2611-0042' }) recordNo: string;
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ description: '事项编码' }) itemCode: string;
  @ApiProperty({ description: '事项名称' }) itemName: string;
  @ApiProperty({ description: '发生日期' }) occurredOn: string;
  @ApiProperty({ description: '补录：发生月份已关账，计入本期（发生日期见 occurredOn）' }) late: boolean;
  @ApiProperty({ type: 'integer', description: '录入时的分值' }) points: number;
  @ApiProperty({ type: 'integer', nullable: true, description: '关账评定后的分值' }) finalPoints: number | null;
  @ApiProperty({ type: ExplanationDto, description: '计分说明（关账后为全期评定的说明）' }) explanation: ExplanationDto;
  @ApiProperty({ enum: ENTRY_STATUSES }) status: string;
  @ApiProperty({ description: '有未答复的异议' }) disputed: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '疑似重复：同一村民同一事项同一天的较早记录' }) duplicateOf: string | null;
}

export class ReviewSheetDto {
  @ApiProperty({ description: '本评议表所属期间（一个村可能同时有上月和本月两个开放周期）', example: '2026-11' }) period: string;
  @ApiProperty({ type: CycleDto }) cycle: CycleDto;
  @ApiProperty({
    description: '各状态的记录条数（没有的状态不出现）',
    type: 'object',
    properties: Object.fromEntries(ENTRY_STATUSES.map((s) => [s, { type: 'integer' }])),
  })
  counts: Partial<Record<EntryStatus, number>>;
  @ApiProperty({ type: MeetingRecordDto, nullable: true, description: '最近一次会议记录' }) meeting: MeetingRecordDto | null;
  @ApiProperty({ type: [ReviewSheetEntryDto] }) entries: ReviewSheetEntryDto[];
}

export class DecisionsResultDto {
  @ApiProperty({ type: CycleDto }) cycle: CycleDto;
  @ApiProperty({ type: 'integer', description: '本次决定的条数' }) decided: number;
}

export class ObjectionFiledDto {
  @ApiProperty({ format: 'uuid', description: '异议 ID' }) id: string;
  @ApiProperty({ description: '异议编号（记录编号 + 第几次异议），如 DC-2611-0042-Y1', example: 'DC-2611-0042-Y1' }) number: string;
  @ApiProperty({ format: 'uuid', description: '所异议的记录 ID' }) entryId: string;
  @ApiProperty({ description: '所异议的记录编号', example: 'DC-2611-0042' }) recordNo: string;
  @ApiProperty({ type: String, format: 'date-time', description: '答复期限（工作日计）' }) dueAt: Date;
}

export class ObjectionRecordDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '异议编号，如 DC-2611-0042-Y1' }) number: string;
  @ApiProperty({ description: '所异议的记录编号，如 DC-2611-0042' }) recordNo: string;
  @ApiProperty({ format: 'uuid' }) townId: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ format: 'uuid' }) cycleId: string;
  @ApiProperty({ format: 'uuid' }) entryId: string;
  @ApiProperty({ description: '异议人姓名' }) objectorName: string;
  @ApiProperty({ description: '联系方式' }) contact: string;
  @ApiProperty({ description: '异议理由' }) reason: string;
  @ApiProperty({ type: String, format: 'date-time' }) filedAt: Date;
  @ApiProperty({ type: String, format: 'date-time', description: '答复期限' }) dueAt: Date;
  @ApiProperty({ enum: OBJECTION_OUTCOMES, nullable: true, description: '答复结果（未答复为 null）' }) outcome: ObjectionOutcome | null;
  @ApiProperty({ type: String, nullable: true, description: '书面答复' }) answer: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) answeredBy: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) answeredAt: Date | null;
}

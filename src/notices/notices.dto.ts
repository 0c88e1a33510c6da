import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { SKIP_REASONS, SMS_STATES, type SkipReason, type SmsState } from './notice.entity';
import { NOTICE_KINDS, type NoticeKind } from './templates';

const NOTICE_ID = /^[1-9]\d{0,17}$/;
export const MAX_RETRY_IDS = 500;

export class NoticeStatusQuery {
  @ApiPropertyOptional({ format: 'uuid', description: '只看一个村' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;

  @ApiPropertyOptional({ type: 'integer', description: '列出的失败通知条数（1–200，默认 50）' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class NoticeStateCountsDto {
  @ApiProperty({ type: 'integer', description: '待发（含静默时段暂缓、等待重试）' }) pending: number;
  @ApiProperty({ type: 'integer', description: '已发' }) sent: number;
  @ApiProperty({ type: 'integer', description: '发送失败（重试次数用尽，待镇管理员重发）' }) failed: number;
  @ApiProperty({ type: 'integer', description: '不发短信（无手机号、未同意或非在册），只在村民页面显示' }) skipped: number;
}

export class NoticeSkipCountsDto {
  @ApiProperty({ type: 'integer', description: '无手机号' }) no_phone: number;
  @ApiProperty({ type: 'integer', description: '未同意接收短信' }) no_consent: number;
  @ApiProperty({ type: 'integer', description: '已迁出、去世或除名' }) inactive: number;
}

export class FailedNoticeDto {
  @ApiProperty({ description: '通知编号' }) id: string;
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村名' }) villageName: string;
  @ApiProperty({ enum: NOTICE_KINDS, description: '通知类别' }) kind: NoticeKind;
  @ApiProperty({ description: '短信内容' }) text: string;
  @ApiProperty({ type: 'integer', description: '已尝试次数' }) attempts: number;
  @ApiProperty({ type: String, nullable: true, description: '短信网关最后一次的答复（状态码与内容）或网络错误' }) lastError: string | null;
  @ApiProperty({ type: Date, nullable: true, description: '最后一次尝试时间' }) lastAttemptAt: Date | null;
  @ApiProperty({ description: '通知生成时间' }) createdAt: Date;
}

export class NoticeStatusDto {
  @ApiProperty({ description: '是否已配置短信网关（NOTICE_SMS_URL）；未配置时通知照常生成，短信待发' }) gatewayConfigured: boolean;
  @ApiProperty({ description: '现在是否处于静默时段（默认 21:00–08:00，北京时间；NOTICE_QUIET_HOURS）' }) quietHours: boolean;
  @ApiProperty({ description: '短信最早可发时间（静默时段中为 08:00）' }) sendsFrom: Date;
  @ApiProperty({ type: NoticeStateCountsDto, description: '各状态条数' }) counts: NoticeStateCountsDto;
  @ApiProperty({ type: 'integer', description: '已到发送时间的待发条数（静默时段中即暂缓条数）' }) due: number;
  @ApiProperty({ type: NoticeSkipCountsDto, description: '不发短信的原因' }) skipped: NoticeSkipCountsDto;
  @ApiProperty({ type: [FailedNoticeDto], description: '发送失败的通知（最新在前）' }) failed: FailedNoticeDto[];
}

export class RetryNoticesDto {
  @ApiPropertyOptional({ type: [String], description: `要重发的失败通知编号（不填则重发本镇全部失败通知；最多 ${MAX_RETRY_IDS} 条）`, example: ['42'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RETRY_IDS)
  @Matches(NOTICE_ID, { each: true, message: 'each of $property must be a notice id (digits)' })
  ids?: string[];
}

export class RetryNoticesResultDto {
  @ApiProperty({ type: 'integer', description: '放回待发的条数' }) requeued: number;
  @ApiProperty({ description: '是否已排队立即发送（Redis 不可用时为 false，每分钟的定时任务会补上）' }) queued: boolean;
}

export class ResidentNoticesQuery {
  @ApiPropertyOptional({ type: 'integer', description: '条数（1–100，默认 20）' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: '翻页：只列编号小于此值的通知（上一页的 nextBefore）' })
  @IsOptional()
  @Matches(NOTICE_ID, { message: 'before must be a notice id (digits)' })
  before?: string;
}

export class ResidentNoticeDto {
  @ApiProperty({ description: '通知编号' }) id: string;
  @ApiProperty({ enum: NOTICE_KINDS, description: '通知类别' }) kind: NoticeKind;
  @ApiProperty({ description: '类别名称', example: '积分入账' }) kindLabel: string;
  @ApiProperty({ description: '通知全文' }) text: string;
  @ApiProperty({ description: '生成时间' }) createdAt: Date;
  @ApiProperty({ enum: SMS_STATES, description: '短信状态' }) smsState: SmsState;
  @ApiProperty({ enum: SKIP_REASONS, nullable: true, description: '不发短信的原因' }) skipReason: SkipReason | null;
  @ApiProperty({ type: Date, nullable: true, description: '短信发出时间' }) sentAt: Date | null;
}

export class ResidentNoticePageDto {
  @ApiProperty({ type: [ResidentNoticeDto] }) items: ResidentNoticeDto[];
  @ApiProperty({ type: String, nullable: true, description: '下一页的 before 参数；没有更多时为 null' }) nextBefore: string | null;
}

export class SmsConsentDto {
  @ApiProperty({ description: '村民是否同意接收短信通知' })
  @IsBoolean()
  consent: boolean;
}

export class SmsConsentResultDto {
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '是否同意接收短信通知' }) smsConsent: boolean;
  @ApiProperty({ description: '是否登记了手机号（没有手机号时同意也不发短信）' }) hasPhone: boolean;
}

export class ResidentIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  residentId: string;
}

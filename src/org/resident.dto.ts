import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { IsCardCode, IsCalendarDate } from '@app/common/http/field-decorators';
import { RESIDENT_STATUSES, type ResidentStatus } from './org.entities';
import { CN_MOBILE_PATTERN, ISO_DATE_PATTERN } from './org.dto';

export const MAX_SEARCH_RESULTS = 50;
export const MAX_PAGE_SIZE = 200;

export class CreateResidentDto {
  @ApiProperty({ format: 'uuid', description: '所属户（须属本村）' })
  @IsUUID('all')
  householdId: string;

  @ApiProperty({ description: '姓名', example: '张三' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  name: string;

  @ApiProperty({ description: '18 位身份证号（只保存密钥哈希与后 4 位）', example: '11010519491231002X' })
  @IsString()
  @MaxLength(40)
  nationalId: string;

  @ApiPropertyOptional({ enum: ['M', 'F'], description: '性别（不填则取自身份证号；填写须与之一致）' })
  @IsOptional()
  @IsIn(['M', 'F'])
  gender?: 'M' | 'F';

  @ApiPropertyOptional({ description: '出生年份（不填则取自身份证号；填写须与之一致）' })
  @IsOptional()
  @IsInt()
  @Min(1900)
  @Max(2100)
  birthYear?: number;

  @ApiPropertyOptional({ description: '手机号', example: '13800138000' })
  @IsOptional()
  @Matches(CN_MOBILE_PATTERN, { message: 'phone must be a mainland mobile number 1[3-9]xxxxxxxxx' })
  phone?: string;

  @ApiPropertyOptional({ description: '是否同意接收短信通知（默认否：通知只在村民页面显示）' })
  @IsOptional()
  @IsBoolean()
  smsConsent?: boolean;

  @IsOptional()
  @IsCardCode({ required: false, description: '积分卡号（不填则自动生成）' })
  cardCode?: string;
}

export class ResidentDto {
  @ApiProperty() id: string;
  @ApiProperty() townId: string;
  @ApiProperty() villageId: string;
  @ApiProperty() householdId: string;
  @ApiProperty({ description: '户号' }) householdCode: string;
  @ApiProperty({ description: '姓名' }) name: string;
  @ApiProperty({ description: '脱敏姓名（公开场合使用）', example: '张*' }) maskedName: string;
  @ApiProperty({ enum: ['M', 'F'], description: '性别' }) gender: 'M' | 'F';
  @ApiProperty({ description: '出生年份' }) birthYear: number;
  @ApiProperty({ description: '积分卡号' }) cardCode: string;
  @ApiProperty({ type: String, nullable: true, description: '手机号' }) phone: string | null;
  @ApiProperty({ description: '是否同意接收短信通知' }) smsConsent: boolean;
  @ApiProperty({ description: '身份证号后 4 位' }) idLast4: string;
  @ApiProperty({ enum: RESIDENT_STATUSES, description: '状态' }) status: ResidentStatus;
  @ApiProperty() createdAt: Date;
}

export class ResidentPageDto {
  @ApiProperty({ type: [ResidentDto] }) items: ResidentDto[];
  @ApiProperty({ description: '符合条件的总数' }) total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class ListResidentsQuery {
  @ApiPropertyOptional({ enum: RESIDENT_STATUSES, description: '状态' })
  @IsOptional()
  @IsIn(RESIDENT_STATUSES)
  status?: ResidentStatus;

  @ApiPropertyOptional({ description: '姓名或卡号（包含）' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid', description: '户' })
  @IsOptional()
  @IsUUID('all')
  household?: string;

  @ApiPropertyOptional({ description: `每页条数（1–${MAX_PAGE_SIZE}，默认 50）` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: '跳过条数' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}

/** Town-wide look-up of a resident by name or card code (auditors, town admin). */
export class SearchResidentsQuery {
  @ApiProperty({ description: '姓名（包含）或卡号（包含，不分大小写）', example: '王' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  q: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_SEARCH_RESULTS, default: 20, description: `最多返回条数（1–${MAX_SEARCH_RESULTS}，默认 20）` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SEARCH_RESULTS)
  limit?: number;
}

export class ResidentMatchDto {
  @ApiProperty({ format: 'uuid', description: '村民（账户）ID' }) id: string;
  @ApiProperty({ description: '姓名' }) name: string;
  @ApiProperty({ description: '积分卡号' }) cardCode: string;
  @ApiProperty({ description: '户号' }) householdCode: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村（社区）' }) villageName: string;
  @ApiProperty({ enum: RESIDENT_STATUSES, description: '状态' }) status: ResidentStatus;
}

export class ResidentMatchListDto {
  @ApiProperty({ type: [ResidentMatchDto], description: '卡号完全相同的排在最前，其后按村、姓名' }) items: ResidentMatchDto[];
  @ApiProperty({ description: '是否还有更多匹配（请输入更完整的姓名或卡号）' }) more: boolean;
}

export class ChangeResidentStatusDto {
  @ApiProperty({ enum: RESIDENT_STATUSES, description: '新状态' })
  @IsIn(RESIDENT_STATUSES)
  to: ResidentStatus;

  @ApiProperty({ description: '生效日期 YYYY-MM-DD（不晚于今天）', example: '2026-03-01' })
  @Matches(ISO_DATE_PATTERN, { message: 'effectiveOn must be YYYY-MM-DD' })
  @IsCalendarDate()
  effectiveOn: string;

  @ApiProperty({ description: '原因', example: '迁往外地' })
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  reason: string;
}

export class ResidentIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  id: string;
}

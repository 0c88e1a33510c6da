import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
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
import { RESIDENT_STATUSES, type ResidentStatus } from './org.entities';

export const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const CN_MOBILE_PATTERN = /^1[3-9]\d{9}$/;
/** An office phone as printed: landline with area code (0631-8888888), mobile, or a short service number (12345). */
export const PHONE_PATTERN = /^(0\d{2,3}-?\d{7,8}(-\d{1,6})?|1[3-9]\d{9}|\d{5,6})$/;
export const HOUSEHOLD_CODE_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;

export class GradeThresholdDto {
  @ApiProperty({ description: '等级名', example: 'AAA' }) grade: string;
  @ApiProperty({ description: '该等级的最低信用分（最低一档为 Number.MIN_SAFE_INTEGER）', example: 1050 }) min: number;
}

export class TownDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '乡镇编号' }) code: string;
  @ApiProperty({ description: '乡镇名称' }) name: string;
  @ApiProperty({ description: '信用基础分' }) baseScore: number;
  @ApiProperty({ type: [GradeThresholdDto], description: '等级表（未设置时为默认表）' }) gradeThresholds: GradeThresholdDto[];
  @ApiProperty({ description: '等级表是否为本镇自定' }) customGradeThresholds: boolean;
  @ApiProperty({ description: '公示期（天）' }) objectionWindowDays: number;
  @ApiProperty({ description: '异议答复时限（工作日）' }) objectionAnswerWorkingDays: number;
  @ApiProperty({ description: '关账日：次月第几日 00:10（北京时间）关闭上月周期', example: 5, minimum: 1, maximum: 28 }) closeDay: number;
  @ApiProperty({ type: [String], description: '法定节假日 YYYY-MM-DD' }) holidays: string[];
  @ApiProperty({ type: [String], description: '调休上班日 YYYY-MM-DD' }) makeupWorkdays: string[];
  @ApiProperty({ description: '每村自设加分事项上限' }) villageMaxBonusItems: number;
  @ApiProperty({ description: '每村自设扣分事项上限' }) villageMaxPenaltyItems: number;
  @ApiProperty({ description: '村自设事项单次最高分值' }) villageItemMaxPoints: number;
  @ApiProperty({ description: '年末清零可用积分' }) expireBalanceAtYearEnd: boolean;
  @ApiProperty({ type: String, nullable: true, description: '镇监督电话（印在各村公示栏上）', example: '0631-8888888' }) contactPhone: string | null;
  @ApiProperty({ description: '公示栏在脱敏姓名后加印户号，以区分同名（默认否：户号属个人信息）' }) boardHouseholdNumbers: boolean;
}

/** Only the fields sent change; grade thresholds are checked by validateGradeThresholds. */
export class UpdateTownSettingsDto {
  @ApiPropertyOptional({ description: '信用基础分', example: 1000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100000)
  baseScore?: number;

  @ApiPropertyOptional({ type: [GradeThresholdDto], description: '等级表，从高到低；最低一档 min 为 -9007199254740991' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  gradeThresholds?: unknown[];

  @ApiPropertyOptional({ description: '公示期（天）', example: 7 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(60)
  objectionWindowDays?: number;

  @ApiPropertyOptional({ description: '异议答复时限（工作日）', example: 7 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(60)
  objectionAnswerWorkingDays?: number;

  @ApiPropertyOptional({ description: '关账日：次月第几日 00:10（北京时间）关闭上月周期（1–28，默认 5）', example: 5, minimum: 1, maximum: 28 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(28)
  closeDay?: number;

  @ApiPropertyOptional({ type: [String], description: '法定节假日 YYYY-MM-DD' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(400)
  @Matches(ISO_DATE_PATTERN, { each: true, message: 'each holiday must be YYYY-MM-DD' })
  holidays?: string[];

  @ApiPropertyOptional({ type: [String], description: '调休上班日 YYYY-MM-DD' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(ISO_DATE_PATTERN, { each: true, message: 'each make-up workday must be YYYY-MM-DD' })
  makeupWorkdays?: string[];

  @ApiPropertyOptional({ description: '每村自设加分事项上限', example: 5 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(99)
  villageMaxBonusItems?: number;

  @ApiPropertyOptional({ description: '每村自设扣分事项上限', example: 5 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(99)
  villageMaxPenaltyItems?: number;

  @ApiPropertyOptional({ description: '村自设事项单次最高分值', example: 2 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  villageItemMaxPoints?: number;

  @ApiPropertyOptional({ description: '年末清零可用积分' })
  @IsOptional()
  @IsBoolean()
  expireBalanceAtYearEnd?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, description: '镇监督电话（印在各村公示栏上；null 清除）', example: '0631-8888888' })
  @IsOptional()
  @Matches(PHONE_PATTERN, { message: 'contactPhone must be a phone number like 0631-8888888 or 13800000000' })
  contactPhone?: string | null;

  @ApiPropertyOptional({ description: '公示栏在脱敏姓名后加印户号（默认否）' })
  @IsOptional()
  @IsBoolean()
  boardHouseholdNumbers?: boolean;
}

/** What the village's board prints about its issuer; only the fields sent change, null clears. */
export class UpdateVillageBoardDto {
  @ApiPropertyOptional({ type: String, nullable: true, description: '发布单位（印在公示栏上；不填为“<村名>村民委员会”）', example: '东村村民委员会 东村信用议事会', maxLength: 60 })
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(60)
  committee?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: '村联系电话（印在公示栏上）', example: '0631-8123456' })
  @IsOptional()
  @Matches(PHONE_PATTERN, { message: 'contactPhone must be a phone number like 0631-8123456 or 13800000000' })
  contactPhone?: string | null;
}

export class CreateVillageDto {
  @ApiProperty({ description: '村编号（大写字母或数字，用作积分卡号前缀）', example: 'DC' })
  @Matches(/^[A-Z0-9]{2,8}$/, { message: 'code must be 2–8 upper-case letters or digits' })
  code: string;

  @ApiProperty({ description: '村（社区）名称', example: '东村' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  name: string;
}

export class VillageDto {
  @ApiProperty() id: string;
  @ApiProperty() townId: string;
  @ApiProperty({ description: '村编号' }) code: string;
  @ApiProperty({ description: '村名称' }) name: string;
  @ApiProperty({ type: String, nullable: true, description: '发布单位（公示栏；null 为“<村名>村民委员会”）' }) committee: string | null;
  @ApiProperty({ type: String, nullable: true, description: '村联系电话（公示栏）' }) contactPhone: string | null;
  @ApiProperty() createdAt: Date;
}

export class VillageIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  villageId: string;
}

export class CreateHouseholdDto {
  @ApiProperty({ description: '户号', example: 'DC-001' })
  @Matches(HOUSEHOLD_CODE_PATTERN, { message: 'code must be 1–20 letters, digits, _ or -' })
  code: string;

  @ApiPropertyOptional({ description: '住址' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  address?: string;
}

export class HouseholdDto {
  @ApiProperty() id: string;
  @ApiProperty() villageId: string;
  @ApiProperty({ description: '户号' }) code: string;
  @ApiProperty({ type: String, nullable: true, description: '住址' }) address: string | null;
  @ApiProperty({ description: '在册人数（各状态）' }) residentCount: number;
}

export class HouseholdIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  id: string;
}

export class HouseholdMemberDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '姓名' }) name: string;
  @ApiProperty({ enum: ['M', 'F'], description: '性别' }) gender: 'M' | 'F';
  @ApiProperty({ description: '出生年份' }) birthYear: number;
  @ApiProperty({ description: '积分卡号' }) cardCode: string;
  @ApiProperty({ enum: RESIDENT_STATUSES, description: '状态' }) status: ResidentStatus;
  @ApiProperty({ type: 'integer', description: '可用积分（账户余额；尚无记账为 0）' }) balance: number;
  @ApiProperty({ type: 'integer', description: '信用分（尚无记账为本镇基础分）' }) creditScore: number;
  @ApiProperty({ description: '等级' }) grade: string;
  @ApiProperty({ description: '是否已有积分账户（有过记账）' }) hasAccount: boolean;
}

export class HouseholdDetailDto {
  @ApiProperty() id: string;
  @ApiProperty() villageId: string;
  @ApiProperty({ description: '村名称' }) villageName: string;
  @ApiProperty({ description: '户号' }) code: string;
  @ApiProperty({ type: String, nullable: true, description: '住址' }) address: string | null;
  @ApiProperty({ type: [HouseholdMemberDto], description: '户成员（各状态）' }) members: HouseholdMemberDto[];
  @ApiProperty({ type: 'integer', description: '全户可用积分合计（各成员余额之和）' }) totalBalance: number;
}

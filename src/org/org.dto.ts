import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
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

export const MAX_SEARCH_RESULTS = 50;

export const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const CN_MOBILE_PATTERN = /^1[3-9]\d{9}$/;
/** An office phone as printed: landline with area code (0631-8888888), mobile, or a short service number (12345). */
export const PHONE_PATTERN = /^(0\d{2,3}-?\d{7,8}(-\d{1,6})?|1[3-9]\d{9}|\d{5,6})$/;
export const HOUSEHOLD_CODE_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;
export const MAX_PAGE_SIZE = 200;

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

export class RosterTemplateQuery {
  @ApiPropertyOptional({ enum: ['csv', 'xlsx'], description: '模板格式（默认 xlsx）' })
  @IsOptional()
  @IsIn(['csv', 'xlsx'])
  format?: 'csv' | 'xlsx';
}

export class RosterRowErrorDto {
  @ApiProperty({ description: 'Excel 行号（含表头；0 表示整个文件）' }) row: number;
  @ApiProperty({ type: String, nullable: true, description: '列名' }) column: string | null;
  @ApiProperty({ description: '错误代码' }) code: string;
  @ApiProperty({ description: '说明' }) message: string;
}

export class RosterImportResultDto {
  @ApiProperty({ type: 'integer', description: '名册中通过检查的行数' }) rows: number;
  @ApiProperty({ description: '新登记的村民数' }) created: number;
  @ApiProperty({ type: 'integer', description: '已在册、按名册更新了姓名/手机号/户号的村民数' }) updated: number;
  @ApiProperty({ type: 'integer', description: '其中换了户的村民数' }) moved: number;
  @ApiProperty({ description: '已在册、未改动的村民数' }) unchanged: number;
  @ApiProperty({ description: '新建的户数' }) householdsCreated: number;
  @ApiProperty({ description: '文件 SHA-256' }) checksum: string;
  @ApiProperty({ type: 'integer', description: '表头所在行（表头上方的标题行、空行已跳过）' }) headerRow: number;
}

export class RosterNewResidentDto {
  @ApiProperty({ type: 'integer', description: 'Excel 行号' }) row: number;
  @ApiProperty({ description: '姓名' }) name: string;
  @ApiProperty({ description: '户号' }) householdCode: string;
  @ApiProperty({ enum: ['M', 'F'], description: '性别' }) gender: 'M' | 'F';
  @ApiProperty({ type: 'integer', description: '出生年份' }) birthYear: number;
  @ApiProperty({ description: '身份证号后 4 位' }) idLast4: string;
  @ApiProperty({ type: String, nullable: true, description: '卡号（空则导入时自动生成）' }) cardCode: string | null;
}

export class RosterFieldChangeDto {
  @ApiProperty({ enum: ['name', 'phone', 'householdCode'], description: '字段' }) field: 'name' | 'phone' | 'householdCode';
  @ApiProperty({ description: '字段中文名' }) label: string;
  @ApiProperty({ type: String, nullable: true, description: '原值' }) from: string | null;
  @ApiProperty({ description: '新值' }) to: string;
}

export class RosterChangedResidentDto {
  @ApiProperty({ type: 'integer', description: 'Excel 行号' }) row: number;
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '在册姓名' }) name: string;
  @ApiProperty({ description: '积分卡号' }) cardCode: string;
  @ApiProperty({ type: [RosterFieldChangeDto], description: '将改动的字段' }) changes: RosterFieldChangeDto[];
  @ApiProperty({ description: '是否换户' }) moved: boolean;
}

export class RosterAbsentResidentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '姓名' }) name: string;
  @ApiProperty({ description: '积分卡号' }) cardCode: string;
  @ApiProperty({ description: '户号' }) householdCode: string;
}

/** What an import of the same file would do; nothing is written. */
export class RosterPreviewDto extends RosterImportResultDto {
  @ApiProperty({ description: '没有错误、可以导入' }) canApply: boolean;
  @ApiProperty({ type: [RosterRowErrorDto], description: '逐行错误（有错误时导入会整体拒绝）' }) errors: RosterRowErrorDto[];
  @ApiProperty({ type: [RosterNewResidentDto], description: '将新登记的村民' }) newResidents: RosterNewResidentDto[];
  @ApiProperty({ type: [RosterChangedResidentDto], description: '将更新的在册村民（含换户）' }) changedResidents: RosterChangedResidentDto[];
  @ApiProperty({ type: [String], description: '将新建的户号' }) newHouseholdCodes: string[];
  @ApiProperty({ type: [RosterAbsentResidentDto], description: '本村在册（正常）但名册中没有的村民：只提示，不改动；迁出等请逐人办理' }) notInFile: RosterAbsentResidentDto[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

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

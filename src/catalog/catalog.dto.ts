import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';

export const ITEM_CODE_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;
export const VILLAGE_ITEM_CODE_PATTERN = /^V(0[1-9]|[1-9]\d)$/;

export class CatalogAdoptionDto {
  @ApiProperty({ description: '目录版本编号' }) versionCode: string;
  @ApiProperty({ description: '生效日期 YYYY-MM-DD' }) effectiveFrom: string;
  @ApiProperty({ description: '采用时间' }) adoptedAt: Date;
}

export class CatalogVersionDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: '版本编号', example: '2026.1' }) code: string;
  @ApiProperty({ description: '名称' }) name: string;
  @ApiProperty({ description: '说明' }) description: string;
  @ApiProperty({ description: '守信（加分）事项数' }) trustItems: number;
  @ApiProperty({ description: '失信（扣分）事项数' }) breachItems: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: [CatalogAdoptionDto], description: '本镇的采用记录' }) adoptions: CatalogAdoptionDto[];
  @ApiProperty({ description: '今天在本镇生效的版本' }) inForce: boolean;
}

export class CatalogItemDto {
  @ApiProperty({ description: '事项版本 id（记分条目引用它）' }) id: string;
  @ApiProperty({ type: String, nullable: true, description: '目录版本（村自设事项为空）' }) versionId: string | null;
  @ApiProperty({ type: String, nullable: true, description: '村自设事项所属村' }) villageId: string | null;
  @ApiProperty({ description: '事项编号', example: 'T01' }) code: string;
  @ApiProperty({ description: '类别' }) category: string;
  @ApiProperty({ description: '事项名称' }) name: string;
  @ApiProperty({ description: '说明' }) description: string;
  @ApiProperty({ enum: [1, -1], description: '1 守信加分 / -1 失信扣分' }) sign: 1 | -1;
  @ApiProperty({ description: '计分规则（JSON）', type: 'object', additionalProperties: true }) rule: Rule;
  @ApiProperty({ nullable: true, description: '每月/每年上限', type: 'object', additionalProperties: true }) caps: ItemCaps | null;
  @ApiProperty({ description: '规则的中文说明', example: '每次 +2 分' }) ruleText: string;
  @ApiProperty({ type: String, nullable: true, description: '村自设事项自该日（YYYY-MM-DD）起停用；未停用为空' }) retiredOn: string | null;
}

export class ListItemsQuery {
  @ApiPropertyOptional({ description: '名称或说明（包含）' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  q?: string;

  @ApiPropertyOptional({ description: '事项编号' })
  @IsOptional()
  @Matches(ITEM_CODE_PATTERN)
  code?: string;

  @ApiPropertyOptional({ description: '类别' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  category?: string;

  @ApiPropertyOptional({ enum: [1, -1], description: '1 加分 / -1 扣分' })
  @IsOptional()
  @Type(() => Number)
  @IsIn([1, -1])
  sign?: 1 | -1;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: '是否包含村自设事项（默认 true）' })
  @IsOptional()
  @IsIn(['true', 'false'])
  includeVillage?: 'true' | 'false';

  @ApiPropertyOptional({ format: 'uuid', description: '村（镇级角色查看某村的自设事项时）' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;
}

export class ItemCodeParam {
  @ApiProperty({ description: '事项编号', example: 'T01' })
  @Matches(ITEM_CODE_PATTERN)
  code: string;
}

export class ItemQuery {
  @ApiPropertyOptional({ format: 'uuid', description: '村（镇级角色查看某村的自设事项时）' })
  @IsOptional()
  @IsUUID('all')
  villageId?: string;
}

export class AdoptVersionDto {
  @ApiProperty({ description: '目录版本编号', example: '2026.1' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  versionCode: string;

  @ApiProperty({ description: '生效日期 YYYY-MM-DD（不早于今天）', example: '2027-01-01' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'effectiveFrom must be YYYY-MM-DD' })
  effectiveFrom: string;
}

export class CreateVillageItemDto {
  @ApiProperty({ description: '编号 V01–V99', example: 'V01' })
  @Matches(VILLAGE_ITEM_CODE_PATTERN, { message: 'code must be V01–V99' })
  code: string;

  @ApiProperty({ description: '类别', example: '人居环境' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  category: string;

  @ApiProperty({ description: '事项名称', example: '门前三包' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name: string;

  @ApiProperty({ description: '说明' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  description: string;

  @ApiProperty({ enum: [1, -1], description: '1 加分 / -1 扣分' })
  @IsIn([1, -1])
  sign: 1 | -1;

  @ApiProperty({ description: '计分规则（fixed / range / per_unit / cumulative_bands / repeat_threshold）', type: 'object', additionalProperties: true, example: { type: 'fixed', points: 2 } })
  @IsObject()
  rule: Record<string, unknown>;

  @ApiPropertyOptional({ description: '上限 { perMonth?, perYear? }', type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  caps?: Record<string, unknown>;
}

export class VillageItemParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  villageId: string;

  @ApiProperty({ format: 'uuid', description: '村自设事项 id' })
  @IsUUID('all')
  itemId: string;
}

export class RetireVillageItemDto {
  @ApiProperty({ description: '停用原因', example: '村规民约修订，不再适用' })
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  reason: string;
}

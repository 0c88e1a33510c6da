import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
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
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsCardCode, IsCalendarDate } from '@app/common/http/field-decorators';
import { DATE_PATTERN } from '@app/entries/entries.dto';

export class CreateShopDto {
  @ApiProperty({ description: '超市编号', example: 'S01' })
  @Matches(/^[A-Za-z0-9_-]{1,20}$/, { message: 'code must be 1–20 letters, digits, _ or -' })
  code: string;

  @ApiProperty({ description: '超市名称', example: '东村信义超市' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name: string;

  @ApiProperty({ description: '服务的村（至少一个）', type: [String], format: 'uuid' })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  villageIds: string[];
}

export class ShopDto {
  @ApiProperty() id: string;
  @ApiProperty() townId: string;
  @ApiProperty({ description: '超市编号' }) code: string;
  @ApiProperty({ description: '超市名称' }) name: string;
  @ApiProperty({ type: [String], description: '服务的村' }) villageIds: string[];
}

export class ShopIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  shopId: string;
}

export class GoodsIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  id: string;
}

/** Goods codes and barcodes: what a clerk types or a scanner sends, spaces around it dropped. */
const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
export const GOODS_CODE_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;
export const BARCODE_PATTERN = /^[\x21-\x7E]{4,40}$/;

export class CreateGoodsDto {
  @ApiProperty({ description: '商品名称', example: '洗衣粉 1kg' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name: string;

  @ApiProperty({ description: '单位', example: '袋' })
  @IsString()
  @MinLength(1)
  @MaxLength(10)
  unit: string;

  @ApiProperty({ description: '兑换所需积分', example: 10 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  pricePoints: number;

  @ApiPropertyOptional({ description: '货号（本超市内唯一）', example: 'G001' })
  @IsOptional()
  @Transform(trimmed)
  @Matches(GOODS_CODE_PATTERN, { message: 'code must be 1–20 letters, digits, _ or -' })
  code?: string;

  @ApiPropertyOptional({ description: '商品条码（扫码枪读出的内容，本超市内唯一）', example: '6901234567892' })
  @IsOptional()
  @Transform(trimmed)
  @Matches(BARCODE_PATTERN, { message: 'barcode must be 4–40 printable characters without spaces' })
  barcode?: string;
}

/** Only the fields given change; code and barcode may be set to null to remove them. */
export class UpdateGoodsDto {
  @ApiPropertyOptional({ description: '商品名称' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;

  @ApiPropertyOptional({ description: '单位' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(10)
  unit?: string;

  @ApiPropertyOptional({ description: '兑换所需积分（改价）' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  pricePoints?: number;

  @ApiPropertyOptional({ description: '货号；null 为清除', nullable: true, type: String })
  @Transform(trimmed)
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @Matches(GOODS_CODE_PATTERN, { message: 'code must be 1–20 letters, digits, _ or -' })
  code?: string | null;

  @ApiPropertyOptional({ description: '商品条码；null 为清除', nullable: true, type: String })
  @Transform(trimmed)
  @ValidateIf((_, v) => v !== undefined && v !== null)
  @Matches(BARCODE_PATTERN, { message: 'barcode must be 4–40 printable characters without spaces' })
  barcode?: string | null;

  @ApiPropertyOptional({ description: '在售（false 为下架）' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class GoodsQuery {
  @ApiPropertyOptional({ description: '按名称（包含）、货号或条码（完全一致）查找', example: '洗衣粉' })
  @IsOptional()
  @IsString()
  @Transform(trimmed)
  @MinLength(1)
  @MaxLength(60)
  q?: string;
}

export class StockCountDto {
  @ApiProperty({ description: '盘点实数' })
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  counted: number;

  @ApiProperty({ description: '盘点原因 / 说明', maxLength: 200, example: '月末盘点' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  reason: string;
}

export class StockAdjustDto {
  @ApiProperty({ enum: ['received', 'written_off'], description: '入库 / 报损' })
  @IsIn(['received', 'written_off'])
  kind: 'received' | 'written_off';

  @ApiProperty({ description: '数量（正整数）' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quantity: number;

  @ApiProperty({ description: '原因', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  reason: string;
}

export class GoodsDto {
  @ApiProperty() id: string;
  @ApiProperty() shopId: string;
  @ApiProperty({ description: '商品名称' }) name: string;
  @ApiProperty({ description: '单位' }) unit: string;
  @ApiProperty({ description: '兑换积分' }) pricePoints: number;
  @ApiProperty({ description: '库存' }) stock: number;
  @ApiProperty({ description: '在售' }) active: boolean;
  @ApiProperty({ nullable: true, type: String, description: '货号' }) code: string | null;
  @ApiProperty({ nullable: true, type: String, description: '商品条码' }) barcode: string | null;
}

export class StockCountResultDto {
  @ApiProperty({ type: GoodsDto }) goods: GoodsDto;
  @ApiProperty({ description: '盘点前账面库存' }) before: number;
  @ApiProperty({ description: '盘点实数（盘点后库存）' }) after: number;
  @ApiProperty({ description: '盘盈（正）或盘亏（负）' }) delta: number;
}

export class LowStockQuery {
  @ApiPropertyOptional({ description: '库存不高于此数即列出', default: 5 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  threshold?: number;
}

export class CardParams {
  @IsCardCode()
  cardCode: string;
}

export class ReceiptParams {
  @ApiProperty({ description: '小票号', example: 'S01-20261123-000042' })
  @Matches(/^[A-Za-z0-9_-]{1,20}-\d{8}-\d{6,}$/, { message: 'receiptNo looks like S01-20261123-000042' })
  receiptNo: string;
}

export class RedemptionLineDto {
  @ApiProperty({ format: 'uuid', description: '商品' })
  @IsUUID('all')
  goodsId: string;

  @ApiProperty({ description: '数量（1–100）' })
  @IsInt()
  @Min(1)
  @Max(100)
  quantity: number;
}

export class RedeemDto {
  @IsCardCode({ description: '村民积分卡号' })
  cardCode: string;

  @ApiProperty({ type: [RedemptionLineDto], description: '兑换明细（价格由系统按商品计算，客户端不传价格）' })
  @ArrayMinSize(1)
  @ArrayMaxSize(30)
  @ValidateNested({ each: true })
  @Type(() => RedemptionLineDto)
  lines: RedemptionLineDto[];

  @ApiPropertyOptional({ description: '终端生成的幂等键：超时重试时必须使用同一个（也可用 Idempotency-Key 请求头；两者都给时须相同）', example: 'pos1-20261123-0042' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{8,100}$/, { message: 'idempotencyKey must be 8–100 of A-Z a-z 0-9 . _ : -' })
  idempotencyKey?: string;
}

export class VoidDto {
  @ApiProperty({ description: '撤销原因', maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  reason: string;
}

export class ReceiptLineDto {
  @ApiProperty() goodsId: string;
  @ApiProperty({ description: '商品名称' }) name: string;
  @ApiProperty({ description: '单位' }) unit: string;
  @ApiProperty({ description: '数量' }) quantity: number;
  @ApiProperty({ description: '单价（积分）' }) pricePoints: number;
  @ApiProperty({ description: '小计（积分）' }) points: number;
}

export class ReceiptDto {
  @ApiProperty({ description: '小票号' }) receiptNo: string;
  @ApiProperty({ description: '村民（脱敏）' }) residentName: string;
  @ApiProperty({ type: [ReceiptLineDto] }) lines: ReceiptLineDto[];
  @ApiProperty({ description: '合计积分' }) totalPoints: number;
  @ApiProperty({ description: '兑换后余额' }) balanceAfter: number;
  @ApiProperty({ description: '兑换时间' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '撤销时间' }) voidedAt: Date | null;
  @ApiProperty({ type: String, nullable: true, description: '撤销原因' }) voidReason: string | null;
  @ApiProperty({ description: '超市名称' }) shopName: string;
  @ApiProperty({ description: '终端名称' }) terminalName: string;
  @ApiProperty({ nullable: true, type: String, description: '收银店员（终端未登录店员时为空）' }) clerkName: string | null;
}

export class TodaySalesDto {
  @ApiProperty({ description: '日期（北京时间）', example: '2026-11-23' }) day: string;
  @ApiProperty({ description: '小票数（含已撤销）' }) count: number;
  @ApiProperty({ description: '兑换积分合计（含已撤销）' }) totalPoints: number;
  @ApiProperty({ description: '已撤销小票数' }) voidedCount: number;
  @ApiProperty({ description: '已撤销积分' }) voidedPoints: number;
  @ApiProperty({ description: '净兑换积分' }) netPoints: number;
  @ApiProperty({ type: [ReceiptDto], description: '本超市今天的小票，新的在前' }) receipts: ReceiptDto[];
}

export class CardHolderDto {
  @ApiProperty({ description: '村民姓名（脱敏）' }) name: string;
  @ApiProperty({ description: '所在村' }) village: string;
  @ApiProperty({ description: '可用积分' }) balance: number;
  @ApiProperty({ description: '信用等级（尚无入账记录时为基础分对应的等级）', example: 'A' }) grade: string;
  @ApiProperty({ description: '状态' }) status: string;
}

export class DayQuery {
  @ApiPropertyOptional({ description: '日期（默认今天，北京时间）', example: '2026-11-23' })
  @IsOptional()
  @Matches(DATE_PATTERN, { message: 'day must be a date YYYY-MM-DD' })
  @IsCalendarDate()
  day?: string;
}

export class ReconciliationQuery {
  @ApiProperty({ description: '起始日期', example: '2026-11-01' })
  @Matches(DATE_PATTERN, { message: 'from must be a date YYYY-MM-DD' })
  @IsCalendarDate()
  from: string;

  @ApiProperty({ description: '截止日期（含）', example: '2026-11-30' })
  @Matches(DATE_PATTERN, { message: 'to must be a date YYYY-MM-DD' })
  @IsCalendarDate()
  to: string;

  @ApiPropertyOptional({ enum: ['json', 'csv', 'xlsx'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv', 'xlsx'])
  format?: 'json' | 'csv' | 'xlsx';
}

export class ReconciliationDayDto {
  @ApiProperty({ description: '日期（北京时间）', example: '2026-11-03' }) day: string;
  @ApiProperty({ type: 'integer', description: '兑换积分' }) points: number;
  @ApiProperty({ type: 'integer', description: '撤销积分' }) voidedPoints: number;
  @ApiProperty({ type: 'integer', description: '净额' }) netPoints: number;
}

export class ReconciliationGoodsDto {
  @ApiProperty({ format: 'uuid' }) goodsId: string;
  @ApiProperty({ description: '商品名称' }) goodsName: string;
  @ApiProperty({ description: '单位' }) unit: string;
  @ApiProperty({ type: 'integer' }) quantity: number;
  @ApiProperty({ type: 'integer' }) voidedQuantity: number;
  @ApiProperty({ type: 'integer' }) netQuantity: number;
  @ApiProperty({ type: 'integer' }) points: number;
  @ApiProperty({ type: 'integer' }) netPoints: number;
}

export class ReconciliationTotalsDto {
  @ApiProperty({ type: 'integer' }) points: number;
  @ApiProperty({ type: 'integer' }) voidedPoints: number;
  @ApiProperty({ type: 'integer' }) netPoints: number;
}

export class ReconciliationRowDto {
  @ApiProperty() day: string;
  @ApiProperty({ format: 'uuid' }) shopId: string;
  @ApiProperty({ format: 'uuid' }) goodsId: string;
  @ApiProperty() goodsName: string;
  @ApiProperty() unit: string;
  @ApiProperty({ type: 'integer' }) quantity: number;
  @ApiProperty({ type: 'integer' }) points: number;
  @ApiProperty({ type: 'integer' }) voidedQuantity: number;
  @ApiProperty({ type: 'integer' }) voidedPoints: number;
}

/** The JSON form of a reconciliation (format=json); CSV and XLSX carry the same rows. */
export class ReconciliationReportDto {
  @ApiProperty({ description: '起始日期' }) from: string;
  @ApiProperty({ description: '结束日期（含）' }) to: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: '超市（全镇对账时为 null）' }) shopId: string | null;
  @ApiProperty({ type: [ReconciliationDayDto] }) days: ReconciliationDayDto[];
  @ApiProperty({ type: [ReconciliationGoodsDto] }) goods: ReconciliationGoodsDto[];
  @ApiProperty({ type: ReconciliationTotalsDto }) totals: ReconciliationTotalsDto;
  @ApiProperty({ type: [ReconciliationRowDto] }) rows: ReconciliationRowDto[];
}

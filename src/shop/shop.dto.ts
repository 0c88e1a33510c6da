import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
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
  ValidateNested,
} from 'class-validator';
import { IsCardCode, IsCalendarDate } from '@app/common/http/field-decorators';
import { DATE_PATTERN } from '@app/scoring/entries.dto';

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
}

export class CardHolderDto {
  @ApiProperty({ description: '村民姓名（脱敏）' }) name: string;
  @ApiProperty({ description: '所在村' }) village: string;
  @ApiProperty({ description: '可用积分' }) balance: number;
  @ApiProperty({ description: '信用等级（尚无入账记录时为基础分对应的等级）', example: 'A' }) grade: string;
  @ApiProperty({ description: '状态' }) status: string;
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

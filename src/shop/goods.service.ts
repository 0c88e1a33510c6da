import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { isUniqueViolation } from '@app/common/idempotency';
import type { CreateGoodsDto, GoodsDto, StockAdjustDto, StockCountDto, StockCountResultDto, UpdateGoodsDto } from './shop.dto';
import { RedemptionRepository, type GoodsRow } from './redemption.repository';

export interface ReconciliationReport {
  from: string;
  to: string;
  shopId: string | null;
  days: Array<{ day: string; points: number; voidedPoints: number; netPoints: number }>;
  goods: Array<{ goodsId: string; goodsName: string; unit: string; quantity: number; voidedQuantity: number; netQuantity: number; points: number; netPoints: number }>;
  totals: { points: number; voidedPoints: number; netPoints: number };
  rows: Array<{ day: string; shopId: string; goodsId: string; goodsName: string; unit: string; quantity: number; points: number; voidedQuantity: number; voidedPoints: number }>;
}

/** Longest reconciliation range, in days (a quarter, with room). */
export const RECONCILIATION_MAX_DAYS = 100;

@Injectable()
export class GoodsService {
  constructor(
    private readonly repo: RedemptionRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
  ) {}

  async create(ctx: RequestContext, shopId: string, dto: CreateGoodsDto): Promise<GoodsDto> {
    const shop = await this.scope.shop(ctx.principal, shopId);
    return this.repo.transaction(async (m) => {
      const g = await this.repo
        .insertGoods(m, { townId: shop.townId, shopId, name: dto.name, unit: dto.unit, pricePoints: dto.pricePoints, code: dto.code ?? null, barcode: dto.barcode ?? null })
        .catch(uniqueGoodsError);
      await this.audit.record(ctx, { action: 'goods.create', targetType: 'goods', targetId: g.id, summary: { ...dto } }, m);
      return toDto(g);
    });
  }

  async list(ctx: RequestContext, shopId: string, f: { lowStock?: number; q?: string } = {}): Promise<GoodsDto[]> {
    await this.scope.shop(ctx.principal, shopId);
    return (await this.repo.listGoods(shopId, f)).map(toDto);
  }

  /** Name, unit, price, code, barcode, on sale: the fields given, with before and after in the audit log. */
  async update(ctx: RequestContext, goodsId: string, dto: UpdateGoodsDto): Promise<GoodsDto> {
    const g = await this.repo.findGoods(goodsId);
    if (!g) throw new AppError('GOODS.NOT_FOUND');
    await this.scope.shop(ctx.principal, g.shopId);
    return this.repo.transaction(async (m) => {
      const [before] = await this.repo.lockGoods(m, [goodsId]);
      const after = await this.repo.updateGoods(m, goodsId, dto).catch(uniqueGoodsError);
      const changed = (Object.keys(dto) as Array<keyof UpdateGoodsDto>).filter((k) => dto[k] !== undefined && before[k] !== after[k]);
      if (changed.length) {
        const pick = (row: GoodsRow) => Object.fromEntries(changed.map((k) => [k, row[k]]));
        await this.audit.record(ctx, { action: 'goods.update', targetType: 'goods', targetId: goodsId, summary: { before: pick(before), after: pick(after) } }, m);
      }
      return toDto(after);
    });
  }

  /**
   * A stock count (盘点): the stock becomes what was counted, and a 'counted' movement records the
   * difference with the reason, even when it is zero (the count itself is worth a record).
   */
  async count(ctx: RequestContext, goodsId: string, dto: StockCountDto): Promise<StockCountResultDto> {
    const g = await this.repo.findGoods(goodsId);
    if (!g) throw new AppError('GOODS.NOT_FOUND');
    await this.scope.shop(ctx.principal, g.shopId);
    return this.repo.transaction(async (m) => {
      const [locked] = await this.repo.lockGoods(m, [goodsId]);
      const delta = dto.counted - locked.stock;
      await this.repo.moveStock(m, [{ townId: g.townId, shopId: g.shopId, goodsId, kind: 'counted', quantity: delta, reason: dto.reason, actor: `staff:${ctx.principal.id}`, redemptionId: null }]);
      await this.audit.record(ctx, { action: 'goods.counted', targetType: 'goods', targetId: goodsId, summary: { before: locked.stock, after: dto.counted, delta, reason: dto.reason } }, m);
      return { goods: toDto({ ...locked, stock: dto.counted }), before: locked.stock, after: dto.counted, delta };
    });
  }

  async adjustStock(ctx: RequestContext, goodsId: string, dto: StockAdjustDto): Promise<GoodsDto> {
    const g = await this.repo.findGoods(goodsId);
    if (!g) throw new AppError('GOODS.NOT_FOUND');
    await this.scope.shop(ctx.principal, g.shopId);
    return this.repo.transaction(async (m) => {
      const [locked] = await this.repo.lockGoods(m, [goodsId]);
      const delta = dto.kind === 'received' ? dto.quantity : -dto.quantity;
      if (locked.stock + delta < 0) throw new AppError('GOODS.STOCK_NEGATIVE', undefined, { stock: locked.stock, writeOff: dto.quantity });
      await this.repo.moveStock(m, [{ townId: g.townId, shopId: g.shopId, goodsId, kind: dto.kind, quantity: delta, reason: dto.reason, actor: `staff:${ctx.principal.id}`, redemptionId: null }]);
      await this.audit.record(ctx, { action: `goods.${dto.kind}`, targetType: 'goods', targetId: goodsId, summary: { before: locked.stock, after: locked.stock + delta, reason: dto.reason } }, m);
      return toDto({ ...locked, stock: locked.stock + delta });
    });
  }

  async setActive(ctx: RequestContext, goodsId: string, active: boolean): Promise<GoodsDto> {
    const g = await this.repo.findGoods(goodsId);
    if (!g) throw new AppError('GOODS.NOT_FOUND');
    await this.scope.shop(ctx.principal, g.shopId);
    await this.repo.transaction(async (m) => {
      await this.repo.setGoodsActive(m, goodsId, active);
      await this.audit.record(ctx, { action: active ? 'goods.activate' : 'goods.deactivate', targetType: 'goods', targetId: goodsId, summary: { before: g.active, after: active } }, m);
    });
    return toDto({ ...g, active });
  }

  /** What the town pays the shop for: per day and per goods, redeemed less voided. */
  async reconciliation(ctx: RequestContext, f: { shopId?: string; from: string; to: string }): Promise<ReconciliationReport> {
    if (f.shopId) await this.scope.shop(ctx.principal, f.shopId);
    else if (ctx.principal.kind === 'staff' && ctx.principal.shopId) f.shopId = ctx.principal.shopId;
    const days = (Date.parse(f.to) - Date.parse(f.from)) / 86_400_000;
    if (!(days >= 0 && days <= RECONCILIATION_MAX_DAYS)) {
      throw new AppError('VALIDATION.FAILED', `日期范围须为 0–${RECONCILIATION_MAX_DAYS} 天，且 from ≤ to / range must be 0–${RECONCILIATION_MAX_DAYS} days`);
    }
    const rows = await this.repo.reconciliation({ townId: ctx.principal.townId, shopId: f.shopId, from: f.from, to: f.to });
    const byDay = new Map<string, { points: number; voidedPoints: number }>();
    const byGoods = new Map<string, { goodsName: string; unit: string; quantity: number; voidedQuantity: number; points: number; voidedPoints: number }>();
    for (const r of rows) {
      const d = byDay.get(r.day) ?? { points: 0, voidedPoints: 0 };
      d.points += r.points;
      d.voidedPoints += r.voidedPoints;
      byDay.set(r.day, d);
      const g = byGoods.get(r.goodsId) ?? { goodsName: r.goodsName, unit: r.unit, quantity: 0, voidedQuantity: 0, points: 0, voidedPoints: 0 };
      g.quantity += r.quantity;
      g.voidedQuantity += r.voidedQuantity;
      g.points += r.points;
      g.voidedPoints += r.voidedPoints;
      byGoods.set(r.goodsId, g);
    }
    const points = rows.reduce((s, r) => s + r.points, 0);
    const voidedPoints = rows.reduce((s, r) => s + r.voidedPoints, 0);
    return {
      from: f.from,
      to: f.to,
      shopId: f.shopId ?? null,
      days: [...byDay].map(([day, d]) => ({ day, ...d, netPoints: d.points - d.voidedPoints })),
      goods: [...byGoods].map(([goodsId, g]) => ({ goodsId, goodsName: g.goodsName, unit: g.unit, quantity: g.quantity, voidedQuantity: g.voidedQuantity, netQuantity: g.quantity - g.voidedQuantity, points: g.points, netPoints: g.points - g.voidedPoints })),
      totals: { points, voidedPoints, netPoints: points - voidedPoints },
      rows,
    };
  }

  async reconciliationFile(report: ReconciliationReport, format: 'csv' | 'xlsx'): Promise<Buffer> {
    const header = ['日期', '超市', '商品', '单位', '兑出数量', '兑换积分', '撤销数量', '撤销积分', '净数量', '净积分'];
    const data = report.rows.map((r) => [r.day, r.shopId, r.goodsName, r.unit, r.quantity, r.points, r.voidedQuantity, r.voidedPoints, r.quantity - r.voidedQuantity, r.points - r.voidedPoints]);
    if (format === 'csv') return Buffer.from('\uFEFF' + stringify([header, ...data], { escape_formulas: true }), 'utf8');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('对账');
    ws.addRow(header).font = { bold: true };
    for (const row of data) ws.addRow(row);
    ws.addRow(['合计', '', '', '', '', report.totals.points, '', report.totals.voidedPoints, '', report.totals.netPoints]).font = { bold: true };
    return Buffer.from(await wb.xlsx.writeBuffer());
  }
}

function toDto(g: GoodsRow): GoodsDto {
  return { id: g.id, shopId: g.shopId, name: g.name, unit: g.unit, pricePoints: g.pricePoints, stock: g.stock, active: g.active, code: g.code, barcode: g.barcode };
}

function uniqueGoodsError(err: { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } }): never {
  if (isUniqueViolation(err, { constraint: 'uq_goods_shop_code' })) throw new AppError('GOODS.CODE_TAKEN');
  if (isUniqueViolation(err, { constraint: 'uq_goods_shop_barcode' })) throw new AppError('GOODS.BARCODE_TAKEN');
  throw err;
}

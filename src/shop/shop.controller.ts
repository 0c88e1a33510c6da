import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE } from '@app/common/http/api-file-response';
import {
  CreateGoodsDto,
  CreateShopDto,
  GoodsDto,
  GoodsIdParams,
  GoodsQuery,
  LowStockQuery,
  ReceiptDto,
  ReceiptParams,
  ReconciliationQuery,
  ReconciliationReportDto,
  ShopDto,
  ShopIdParams,
  StockAdjustDto,
  StockCountDto,
  StockCountResultDto,
  UpdateGoodsDto,
  VoidDto,
} from './shop.dto';
import { GoodsService } from './goods.service';
import { RedemptionService } from './redemption.service';
import { ShopService } from './shop.service';

@ApiTags('shops 信义超市')
@ApiExtraModels(ReconciliationReportDto)
@Controller()
export class ShopController {
  constructor(
    private readonly shops: ShopService,
    private readonly goods: GoodsService,
    private readonly redemptions: RedemptionService,
  ) {}

  @Post('shops')
  @Roles('town_admin')
  @ApiOperation({ summary: '新建信义超市及其服务的村' })
  @ApiCreatedResponse({ type: ShopDto })
  @ApiErrors('AUTH.OUT_OF_SCOPE', 'SHOP.CODE_TAKEN')
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateShopDto): Promise<ShopDto> {
    return this.shops.create(ctx, dto);
  }

  @Get('shops')
  @Roles('town_admin', 'auditor', 'shop_clerk')
  @ApiOperation({ summary: '本镇信义超市列表（超市店员只看到本店）' })
  @ApiOkResponse({ type: [ShopDto] })
  list(@Ctx() ctx: RequestContext): Promise<ShopDto[]> {
    return this.shops.list(ctx);
  }

  @Post('shops/:shopId/goods')
  @Roles('town_admin', 'shop_clerk')
  @ApiOperation({ summary: '上架商品（积分定价）' })
  @ApiCreatedResponse({ type: GoodsDto })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'GOODS.CODE_TAKEN', 'GOODS.BARCODE_TAKEN')
  createGoods(@Ctx() ctx: RequestContext, @Param() p: ShopIdParams, @Body() dto: CreateGoodsDto): Promise<GoodsDto> {
    return this.goods.create(ctx, p.shopId, dto);
  }

  @Get('shops/:shopId/goods')
  @Roles('town_admin', 'auditor', 'shop_clerk')
  @ApiOperation({ summary: '超市商品列表；q 按名称、货号或条码查找' })
  @ApiOkResponse({ type: [GoodsDto] })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  listGoods(@Ctx() ctx: RequestContext, @Param() p: ShopIdParams, @Query() q: GoodsQuery): Promise<GoodsDto[]> {
    return this.goods.list(ctx, p.shopId, { q: q.q });
  }

  @Get('shops/:shopId/goods/low-stock')
  @Roles('town_admin', 'auditor', 'shop_clerk')
  @ApiOperation({ summary: '低库存商品' })
  @ApiOkResponse({ type: [GoodsDto] })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  lowStock(@Ctx() ctx: RequestContext, @Param() p: ShopIdParams, @Query() q: LowStockQuery): Promise<GoodsDto[]> {
    return this.goods.list(ctx, p.shopId, { lowStock: q.threshold ?? 5 });
  }

  @Patch('goods/:id')
  @Roles('town_admin', 'shop_clerk')
  @ApiOperation({ summary: '修改商品：名称、单位、积分价格、货号、条码、在售（只改传入的字段）' })
  @ApiOkResponse({ type: GoodsDto })
  @ApiErrors('GOODS.NOT_FOUND', 'SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'GOODS.CODE_TAKEN', 'GOODS.BARCODE_TAKEN')
  updateGoods(@Ctx() ctx: RequestContext, @Param() p: GoodsIdParams, @Body() dto: UpdateGoodsDto): Promise<GoodsDto> {
    return this.goods.update(ctx, p.id, dto);
  }

  @Post('goods/:id/stock-count')
  @HttpCode(200)
  @Roles('town_admin', 'shop_clerk')
  @ApiOperation({ summary: '盘点纠正库存：库存改为实数，差额记入库存流水并注明原因' })
  @ApiOkResponse({ type: StockCountResultDto })
  @ApiErrors('GOODS.NOT_FOUND', 'SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  countStock(@Ctx() ctx: RequestContext, @Param() p: GoodsIdParams, @Body() dto: StockCountDto): Promise<StockCountResultDto> {
    return this.goods.count(ctx, p.id, dto);
  }

  @Post('goods/:id/stock')
  @HttpCode(200)
  @Roles('town_admin', 'shop_clerk')
  @ApiOperation({ summary: '入库或报损（追加库存流水，注明原因）' })
  @ApiOkResponse({ type: GoodsDto })
  @ApiErrors('GOODS.NOT_FOUND', 'SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'GOODS.STOCK_NEGATIVE')
  stock(@Ctx() ctx: RequestContext, @Param() p: GoodsIdParams, @Body() dto: StockAdjustDto): Promise<GoodsDto> {
    return this.goods.adjustStock(ctx, p.id, dto);
  }

  @Post('goods/:id/deactivate')
  @HttpCode(200)
  @Roles('town_admin', 'shop_clerk')
  @ApiOperation({ summary: '下架商品' })
  @ApiOkResponse({ type: GoodsDto })
  @ApiErrors('GOODS.NOT_FOUND', 'SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  deactivate(@Ctx() ctx: RequestContext, @Param() p: GoodsIdParams): Promise<GoodsDto> {
    return this.goods.setActive(ctx, p.id, false);
  }

  @Post('shop-redemptions/:receiptNo/void')
  @HttpCode(200)
  @Roles('shop_clerk')
  @ApiOperation({ summary: '店员当天撤销兑换' })
  @ApiOkResponse({ type: ReceiptDto })
  @ApiErrors('REDEMPTION.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'REDEMPTION.VOID_WINDOW_PASSED', 'LEDGER.SOURCE_CONFLICT')
  void(@Ctx() ctx: RequestContext, @Param() p: ReceiptParams, @Body() dto: VoidDto): Promise<ReceiptDto> {
    return this.redemptions.void(ctx, p.receiptNo, dto.reason);
  }

  @Get('shops/:shopId/reconciliation')
  @Roles('town_admin', 'auditor', 'shop_clerk')
  @ApiOperation({ summary: '超市对账：按日、按商品的兑换积分、撤销与净额（JSON / CSV / XLSX）' })
  @ApiOkResponse({
    description: '对账（format=json 为 JSON，csv / xlsx 为文件）',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ReconciliationReportDto) } },
      [CSV_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } },
      [XLSX_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  async reconciliation(@Ctx() ctx: RequestContext, @Param() p: ShopIdParams, @Query() q: ReconciliationQuery, @Res() res: Response): Promise<void> {
    await this.sendReport(res, await this.goods.reconciliation(ctx, { shopId: p.shopId, from: q.from, to: q.to }), q.format);
  }

  @Get('towns/current/shop-reconciliation')
  @Roles('town_admin', 'auditor')
  @ApiOperation({ summary: '全镇各超市对账' })
  @ApiOkResponse({
    description: '对账（format=json 为 JSON，csv / xlsx 为文件）',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ReconciliationReportDto) } },
      [CSV_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } },
      [XLSX_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } },
    },
  })
  async townReconciliation(@Ctx() ctx: RequestContext, @Query() q: ReconciliationQuery, @Res() res: Response): Promise<void> {
    await this.sendReport(res, await this.goods.reconciliation(ctx, { from: q.from, to: q.to }), q.format);
  }

  private async sendReport(res: Response, report: Awaited<ReturnType<GoodsService['reconciliation']>>, format: 'json' | 'csv' | 'xlsx' = 'json'): Promise<void> {
    if (format === 'json') {
      await res.code(200).send(report);
      return;
    }
    const body = await this.goods.reconciliationFile(report, format);
    await res
      .code(200)
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="reconciliation-${report.from}-${report.to}.${format}"`)
      .send(body);
  }
}

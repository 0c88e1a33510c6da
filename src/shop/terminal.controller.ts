import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply as Response } from 'fastify';
import { Ctx, TerminalAuth } from '@app/auth/auth.decorators';
import type { RequestContext, TerminalPrincipal } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { idempotencyKeyOf } from '@app/common/http/idempotency-key';
import { shanghaiDate } from '@app/common/time';
import {
  CardHolderDto,
  CardParams,
  DayQuery,
  GoodsDto,
  GoodsQuery,
  ReceiptDto,
  ReceiptParams,
  ReconciliationReportDto,
  RedeemDto,
  TodaySalesDto,
  VoidDto,
} from './shop.dto';
import { GoodsService } from './goods.service';
import { RedemptionService } from './redemption.service';

/**
 * What a shop terminal (API key in x-api-key) can do: look up a card, redeem, void, print. A
 * paired browser till also sends its signed-in clerk's bearer token (see TerminalAuth).
 */
@ApiTags('terminal 超市终端')
@Controller('terminal')
@TerminalAuth()
export class TerminalController {
  constructor(
    private readonly redemptions: RedemptionService,
    private readonly goods: GoodsService,
  ) {}

  @Get('residents/:cardCode')
  @ApiOperation({ summary: '刷卡查询村民：脱敏姓名、村、可用积分、等级（非本超市服务的村或非正常状态则拒绝）' })
  @ApiOkResponse({ type: CardHolderDto })
  @ApiErrors('REDEMPTION.RESIDENT_NOT_FOUND', 'REDEMPTION.RESIDENT_NOT_SERVED', 'REDEMPTION.RESIDENT_NOT_ACTIVE')
  lookup(@Ctx() ctx: RequestContext, @Param() p: CardParams): Promise<CardHolderDto> {
    return this.redemptions.lookup(ctx.principal as TerminalPrincipal, p.cardCode);
  }

  @Get('goods')
  @ApiOperation({ summary: '本超市的商品及库存；q 按名称、货号或条码查找' })
  @ApiOkResponse({ type: [GoodsDto] })
  list(@Ctx() ctx: RequestContext, @Query() q: GoodsQuery): Promise<GoodsDto[]> {
    return this.goods.list(ctx, (ctx.principal as TerminalPrincipal).shopId, { q: q.q });
  }

  @Post('redemptions')
  @ApiOperation({ summary: '兑换：按商品定价、校验库存与余额、记账、出小票；同一幂等键同一内容重试返回原小票' })
  @ApiCreatedResponse({ type: ReceiptDto, description: 'the receipt' })
  @ApiErrors('REDEMPTION.DUPLICATE_GOODS', 'REDEMPTION.RESIDENT_NOT_FOUND', 'REDEMPTION.RESIDENT_NOT_SERVED', 'REDEMPTION.RESIDENT_NOT_ACTIVE', 'REDEMPTION.GOODS_NOT_FOUND', 'REDEMPTION.GOODS_INACTIVE', 'REDEMPTION.OUT_OF_STOCK', 'REDEMPTION.INSUFFICIENT_POINTS', 'REDEMPTION.IDEMPOTENCY_CONFLICT', 'REDEMPTION.BASKET_CHANGED')
  @ApiOkResponse({ type: ReceiptDto, description: 'a retry with the same idempotency key and body: the original, with header idempotent-replayed: true' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '幂等键（与请求体 idempotencyKey 二选一；都给时须相同）' })
  async redeem(@Ctx() ctx: RequestContext, @Body() dto: RedeemDto, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response): Promise<ReceiptDto> {
    const idempotencyKey = idempotencyKeyOf(key, dto.idempotencyKey, { required: true }) as string;
    const { receipt, replayed } = await this.redemptions.redeem(ctx, { ...dto, idempotencyKey });
    if (replayed) res.code(200).header('idempotent-replayed', 'true');
    return receipt;
  }

  @Post('redemptions/:receiptNo/void')
  @HttpCode(200)
  @ApiOperation({ summary: '当天撤销兑换（退回积分与库存；重复撤销返回同一结果）' })
  @ApiOkResponse({ type: ReceiptDto })
  @ApiErrors('REDEMPTION.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'REDEMPTION.VOID_WINDOW_PASSED', 'LEDGER.SOURCE_CONFLICT')
  void(@Ctx() ctx: RequestContext, @Param() p: ReceiptParams, @Body() dto: VoidDto): Promise<ReceiptDto> {
    return this.redemptions.void(ctx, p.receiptNo, dto.reason);
  }

  @Get('receipts/:receiptNo')
  @ApiOperation({ summary: '按小票号查询（补打小票）' })
  @ApiOkResponse({ type: ReceiptDto })
  @ApiErrors('REDEMPTION.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  receipt(@Ctx() ctx: RequestContext, @Param() p: ReceiptParams): Promise<ReceiptDto> {
    return this.redemptions.byReceipt(ctx.principal, p.receiptNo);
  }

  @Get('redemptions/today')
  @ApiOperation({ summary: '本终端今天的兑换' })
  @ApiOkResponse({ type: [ReceiptDto] })
  today(@Ctx() ctx: RequestContext): Promise<ReceiptDto[]> {
    return this.redemptions.today(ctx.principal as TerminalPrincipal);
  }

  @Get('sales/today')
  @ApiOperation({ summary: '本超市今天的兑换（各终端），含合计、撤销与净额' })
  @ApiOkResponse({ type: TodaySalesDto })
  salesToday(@Ctx() ctx: RequestContext): Promise<TodaySalesDto> {
    return this.redemptions.salesToday(ctx.principal as TerminalPrincipal);
  }

  @Get('reconciliation')
  @ApiOperation({ summary: '本超市某日（默认今天）对账：按商品的兑换、撤销与净积分，即镇应付超市的积分（日结打印）' })
  @ApiOkResponse({ type: ReconciliationReportDto })
  reconciliation(@Ctx() ctx: RequestContext, @Query() q: DayQuery): Promise<ReconciliationReportDto> {
    const day = q.day ?? shanghaiDate(new Date());
    return this.goods.reconciliation(ctx, { shopId: (ctx.principal as TerminalPrincipal).shopId, from: day, to: day });
  }
}

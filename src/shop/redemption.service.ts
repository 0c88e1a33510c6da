import { hashRequest } from '@app/common/idempotency';
import { periodOf, shanghaiDate } from '@app/common/time';
import { redemptionsTotal } from '@app/metrics/metrics';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService, auditRow } from '@app/audit/audit.service';
import type { Principal, RequestContext, TerminalPrincipal } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { maskName } from '@app/common/mask-name';
import { LedgerService } from '@app/ledger/ledger.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { NoticesService } from '@app/notices/notices.service';
import type { CardHolderDto, ReceiptDto, RedeemDto, TodaySalesDto } from './shop.dto';

/** A redemption with its idempotency key settled (from the Idempotency-Key header or the body). */
export type KeyedRedemption = Omit<RedeemDto, 'idempotencyKey'> & { idempotencyKey: string };
import { RedemptionBatcher } from './redemption-batcher';
import { RedemptionRepository, type GoodsRow, type RedemptionRow } from './redemption.repository';

/**
 * The integrity supermarket's till. A redemption is one transaction: price the basket from the
 * goods (never from the client), post one `redemption` posting through the ledger (which refuses
 * to take a balance below zero), take the stock, write the receipt. Either all of it or none.
 */
@Injectable()
export class RedemptionService {
  constructor(
    private readonly repo: RedemptionRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly notices: NoticesService,
    private readonly batcher: RedemptionBatcher,
  ) {}

  async lookup(t: TerminalPrincipal, cardCode: string): Promise<CardHolderDto> {
    const h = await this.repo.findCardHolder(cardCode, t.shopId);
    if (!h || h.townId !== t.townId) throw new AppError('REDEMPTION.RESIDENT_NOT_FOUND');
    if (!h.served) throw new AppError('REDEMPTION.RESIDENT_NOT_SERVED');
    if (h.status !== 'active') throw new AppError('REDEMPTION.RESIDENT_NOT_ACTIVE', undefined, { status: h.status });
    // No account yet (no postings): the grade of the town's base score, never null.
    const grade = h.grade ?? (await this.ledger.baseGrade(h.townId));
    return { name: maskName(h.name), village: h.villageName, balance: h.balance ?? 0, grade, status: h.status };
  }

  async redeem(ctx: RequestContext, dto: KeyedRedemption): Promise<{ receipt: ReceiptDto; replayed: boolean }> {
    try {
      const result = await this.redeemOrReplay(ctx, dto);
      redemptionsTotal.inc({ outcome: result.replayed ? 'replayed' : 'created' });
      return result;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) redemptionsTotal.inc({ outcome: 'refused' });
      throw err;
    }
  }

  private async redeemOrReplay(ctx: RequestContext, dto: KeyedRedemption): Promise<{ receipt: ReceiptDto; replayed: boolean }> {
    const t = ctx.principal as TerminalPrincipal;
    const ids = dto.lines.map((l) => l.goodsId);
    if (new Set(ids).size !== ids.length) throw new AppError('REDEMPTION.DUPLICATE_GOODS');
    const requestHash = hashRequest({ cardCode: dto.cardCode, lines: dto.lines.map((l) => [l.goodsId, l.quantity]) });
    try {
      return await this.redeemOnce(ctx, dto, requestHash);
    } catch (err) {
      // A retry of a redemption already made (or racing it) cannot go through: the terminal +
      // key is unique, and the first one spent the points and took the stock. So the key is
      // looked up only when an attempt failed, and then answers like the first time.
      // If the lookup itself fails (the database is gone), the attempt's own error is the answer.
      const prior = await this.replayByKey(t, dto, requestHash, err);
      if (prior) return prior;
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
      // Price changed between reading and taking the stock, a rare deadlock, or a wait on a row
      // lock that took this redemption out of its batch (REDEEM_BATCH_LOCK_TIMEOUT_MS): once more.
      // The retry runs alone (no batch, no lock timeout): waiting on that lock is what it has to do.
      if (err instanceof RetryRedemption || code === '40P01' || code === '55P03') {
        return this.redeemOnce(ctx, dto, requestHash, true).catch(async (again: unknown) => {
          // A twin with the same key may have committed between the two attempts.
          const failure = again instanceof RetryRedemption ? new AppError('REDEMPTION.BASKET_CHANGED') : again;
          const twin = await this.replayByKey(t, dto, requestHash, failure);
          if (twin) return twin;
          throw failure;
        });
      }
      throw err;
    }
  }

  /**
   * One read (card holder, goods, the account head, a receipt number), then the whole redemption
   * in ONE statement that commits by itself (RedemptionStatementRepository.redeemInOneStatement): two round
   * trips, no lock held across the network. If the account moved on between the read and the
   * statement (a concurrent posting), or has no account yet, or the read balance looks short, the
   * locking path decides instead: a short transaction, the ledger posting first (account lock,
   * balance check under it), then the stock and the receipt in one statement.
   */
  private async redeemOnce(ctx: RequestContext, dto: KeyedRedemption, requestHash: string, alone = false): Promise<{ receipt: ReceiptDto; replayed: boolean }> {
    const t = ctx.principal as TerminalPrincipal;
    const ids = dto.lines.map((l) => l.goodsId);
    const h = await this.repo.findBasket(dto.cardCode, t.shopId, ids);
    if (!h || h.townId !== t.townId) throw new AppError('REDEMPTION.RESIDENT_NOT_FOUND');
    if (!h.served) throw new AppError('REDEMPTION.RESIDENT_NOT_SERVED');
    if (h.status !== 'active') throw new AppError('REDEMPTION.RESIDENT_NOT_ACTIVE');
    const seq = h.receiptSeq;
    const goods = new Map(h.goods.map((g) => [g.id, g]));
    // In the basket's order: the receipt, its replays and reprints all list the lines this way.
    // (The stock statements sort their own copy by id, for the lock order.)
    const lines = dto.lines.map((l) => {
        const g = checkLine(goods.get(l.goodsId), l, t.shopId);
        return { goodsId: g.id, name: g.name, unit: g.unit, quantity: l.quantity, pricePoints: g.pricePoints, points: g.pricePoints * l.quantity };
      });
    const total = lines.reduce((s, l) => s + l.points, 0);
    const id = randomUUID();
    const now = new Date();
    const receiptNo = `${h.shopCode}-${shanghaiDate(now).replace(/-/g, '')}-${String(seq).padStart(6, '0')}`;
    const posting: PostingRequest = { accountId: h.id, kind: 'redemption', points: -total, sourceRef: `redemption:${id}`, counterparty: `shop:${t.shopId}`, period: periodOf(now), memo: receiptNo, requireCovered: true };
    const base = { id, townId: t.townId, shopId: t.shopId, villageId: h.villageId, residentId: h.id, terminalId: t.id, clerkId: t.clerk?.id ?? null, receiptNo, idempotencyKey: dto.idempotencyKey, requestHash, lines, totalPoints: total };
    const names = { shopName: h.shopName, terminalName: t.name, clerkName: t.clerk?.displayName ?? null };
    // Who sold it: the terminal (the actor) and, at a till, the clerk signed in at it.
    const audit = { action: 'redemption.create', targetType: 'redemption', targetId: id, summary: { receiptNo, shopId: t.shopId, residentId: h.id, points: total, lines: lines.length, ...tillActors(t) } };

    if (h.head) {
      const head = h.head;
      const next = (() => {
        try {
          return this.ledger.prepareOne(head, posting);
        } catch (err) {
          // Short by the read balance: decided under the account lock below, with its balance.
          if (err instanceof AppError && err.code === 'LEDGER.INSUFFICIENT_POINTS') return null;
          throw err;
        }
      })();
      if (next) {
        const one = {
          ...base,
          balanceAfter: next.balance,
          postingId: '',
          expectedSeq: head.seq,
          read: head,
          posting: next.row,
          creditScore: next.creditScore,
          grade: next.grade,
          shopName: h.shopName,
          actor: `terminal:${t.id}`,
          audit: auditRow(ctx, audit),
        };
        const done = await (alone ? this.batcher.redeemAlone(one) : this.batcher.redeem(one));
        if (done.head && done.stock) {
          const row = { ...base, balanceAfter: next.balance, postingId: done.postingId as string, createdAt: done.createdAt as Date, voidedAt: null, voidReason: null, voidBalanceAfter: null, ...names };
          return { receipt: toReceipt(row, h.name), replayed: false };
        }
        if (done.head && !done.stock) {
          // Something changed since the read: say what, or try once more (a new price).
          const current = new Map((await this.repo.findGoodsByIds(ids)).map((g) => [g.id, g]));
          for (const l of dto.lines) checkLine(current.get(l.goodsId), l, t.shopId);
          throw new RetryRedemption();
        }
        // The account moved on since the read: the locking path below.
      }
    }

    const row = await this.repo.transaction(async (m) => {
      const posted = await this.ledger
        .postOne(posting, m)
        .catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'LEDGER.INSUFFICIENT_POINTS') {
            // The balance the ledger checked under the account lock, not the one read before it.
            const checked = (err.details as { balance?: number } | undefined)?.balance;
            throw new AppError('REDEMPTION.INSUFFICIENT_POINTS', undefined, { balance: checked ?? h.balance ?? 0, total });
          }
          throw err;
        });
      const made = posted.postings[0];
      if (!made) throw new Error(`redemption ${id} was already in the ledger`);
      const record = { ...base, balanceAfter: made.balanceAfter, postingId: made.id };
      const taken = await this.repo.takeStockAndRecord(m, record, `terminal:${t.id}`);
      if (!taken.ok) {
        // Something changed since the read: find what, under the locks, and roll back.
        const now = new Map((await this.repo.lockGoods(m, ids)).map((g) => [g.id, g]));
        for (const l of dto.lines) checkLine(now.get(l.goodsId), l, t.shopId);
        throw new RetryRedemption();
      }
      await this.notices.recordRedemption(m, { residentId: h.id, redemptionId: id, shopName: h.shopName, points: total, balance: made.balanceAfter, receiptNo });
      await this.audit.record(ctx, audit, m);
      return { ...record, createdAt: taken.createdAt as Date, voidedAt: null, voidReason: null, voidBalanceAfter: null, ...names };
    });
    return { receipt: toReceipt(row, h.name), replayed: false };
  }

  /** Same day only; a void of a voided receipt answers with the existing void (idempotent). */
  async void(ctx: RequestContext, receiptNo: string, reason: string): Promise<ReceiptDto> {
    const { principal } = ctx;
    const r = await this.repo.findByReceipt(principal.townId, receiptNo);
    if (!r || r.townId !== principal.townId) throw new AppError('REDEMPTION.NOT_FOUND');
    if (principal.shopId !== r.shopId) throw new AppError('AUTH.OUT_OF_SCOPE');
    if (r.voidedAt) return this.receipt(r);
    if (shanghaiDate(r.createdAt) !== shanghaiDate(new Date())) throw new AppError('REDEMPTION.VOID_WINDOW_PASSED');
    // At a till the clerk is the actor, and the void records the terminal too.
    const terminal = principal.kind === 'terminal' ? principal : null;
    const actor = terminal?.clerk ? `staff:${terminal.clerk.id}` : `${principal.kind}:${principal.id}`;
    await this.repo.transaction(async (m) => {
      await this.repo.lockRedemption(m, r.id);
      if ((await this.repo.findByReceipt(principal.townId, receiptNo, m))?.voidedAt) return;
      const posted = await this.ledger.postBatch(
        [{ accountId: r.residentId, kind: 'redemption_void', points: r.totalPoints, sourceRef: `void:${r.id}`, counterparty: `shop:${r.shopId}`, period: periodOf(new Date()), memo: `${receiptNo} ${reason}` }],
        m,
      );
      // Goods rows in id order before the stock UPDATE (whose join may visit them in any
      // order), so a void and a sale sharing two goods cannot deadlock.
      await this.repo.lockGoods(m, r.lines.map((l) => l.goodsId));
      await this.repo.moveStock(m, r.lines.map((l) => ({ townId: r.townId, shopId: r.shopId, goodsId: l.goodsId, kind: 'voided', quantity: l.quantity, reason, actor, redemptionId: r.id })));
      await this.repo.insertVoid(m, { redemptionId: r.id, townId: r.townId, reason, actor, terminalId: terminal?.id ?? null, postingId: posted.postings[0].id, balanceAfter: posted.postings[0].balanceAfter });
      await this.audit.record(
        ctx,
        { action: 'redemption.void', targetType: 'redemption', targetId: r.id, summary: { receiptNo, reason, points: r.totalPoints, ...(terminal ? tillActors(terminal) : {}) } },
        m,
      );
    });
    redemptionsTotal.inc({ outcome: 'voided' });
    return this.receipt((await this.repo.findByReceipt(principal.townId, receiptNo)) as RedemptionRow);
  }

  async byReceipt(principal: Principal, receiptNo: string): Promise<ReceiptDto> {
    const r = await this.repo.findByReceipt(principal.townId, receiptNo);
    if (!r || r.townId !== principal.townId) throw new AppError('REDEMPTION.NOT_FOUND');
    if (principal.shopId && principal.shopId !== r.shopId) throw new AppError('AUTH.OUT_OF_SCOPE');
    return this.receipt(r);
  }

  async today(t: TerminalPrincipal): Promise<ReceiptDto[]> {
    const since = new Date(`${shanghaiDate(new Date())}T00:00:00+08:00`);
    const rows = await this.repo.listForTerminalSince(t.id, since);
    return Promise.all(rows.map((r) => this.receipt(r)));
  }

  /** The shop's sales today (Asia/Shanghai) at all its terminals, with totals: the till's 今日兑换. */
  async salesToday(t: TerminalPrincipal): Promise<TodaySalesDto> {
    const day = shanghaiDate(new Date());
    const rows = await this.repo.listForShopSince(t.shopId, new Date(`${day}T00:00:00+08:00`));
    const receipts = await Promise.all(rows.map((r) => this.receipt(r)));
    const totalPoints = receipts.reduce((s, r) => s + r.totalPoints, 0);
    const voided = receipts.filter((r) => r.voidedAt);
    const voidedPoints = voided.reduce((s, r) => s + r.totalPoints, 0);
    return { day, count: receipts.length, totalPoints, voidedCount: voided.length, voidedPoints, netPoints: totalPoints - voidedPoints, receipts };
  }

  /**
   * The receipt already made under this terminal + key, if any, as a replay; `failure` is thrown
   * instead when the lookup itself fails.
   */
  private async replayByKey(t: TerminalPrincipal, dto: KeyedRedemption, requestHash: string, failure: unknown): Promise<{ receipt: ReceiptDto; replayed: true } | null> {
    const prior = await this.repo.findByKey(t.id, dto.idempotencyKey).catch(() => {
      throw failure;
    });
    return prior ? { receipt: await this.replay(prior, requestHash), replayed: true } : null;
  }

  /** The first answer again: same receipt, same masked name, same lines in the same order. */
  private async replay(prior: RedemptionRow, requestHash: string): Promise<ReceiptDto> {
    if (prior.requestHash !== requestHash) throw new AppError('REDEMPTION.IDEMPOTENCY_CONFLICT');
    return this.receipt(prior);
  }

  private async receipt(r: RedemptionRow): Promise<ReceiptDto> {
    return toReceipt(r, await this.repo.residentNameOf(r.residentId));
  }
}

/** Who acted at a till, for the audit summary: the terminal and the clerk signed in at it, if any. */
function tillActors(t: TerminalPrincipal): { terminalId: string; terminalName: string; clerkId: string | null; clerkName: string | null } {
  return { terminalId: t.id, terminalName: t.name, clerkId: t.clerk?.id ?? null, clerkName: t.clerk?.displayName ?? null };
}

function toReceipt(r: RedemptionRow, residentName: string | null): ReceiptDto {
  return {
    receiptNo: r.receiptNo,
    residentName: residentName ? maskName(residentName) : '',
    lines: r.lines,
    totalPoints: r.totalPoints,
    balanceAfter: r.balanceAfter,
    createdAt: r.createdAt,
    voidedAt: r.voidedAt,
    voidReason: r.voidReason,
    shopName: r.shopName,
    terminalName: r.terminalName,
    clerkName: r.clerkName,
  };
}

/** The basket changed under us in a way a second try may fix (a new price). */
class RetryRedemption extends Error {}

function checkLine(g: GoodsRow | undefined, l: { goodsId: string; quantity: number }, shopId: string): GoodsRow {
  if (!g || g.shopId !== shopId) throw new AppError('REDEMPTION.GOODS_NOT_FOUND', undefined, { goodsId: l.goodsId });
  if (!g.active) throw new AppError('REDEMPTION.GOODS_INACTIVE', undefined, { goodsId: l.goodsId });
  if (g.stock < l.quantity) throw new AppError('REDEMPTION.OUT_OF_STOCK', undefined, { goodsId: l.goodsId, stock: g.stock, wanted: l.quantity });
  return g;
}

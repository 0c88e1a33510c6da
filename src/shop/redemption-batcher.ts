import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config/app-config';
import { redemptionBatchSize } from '@app/metrics/metrics';
import { RedemptionStatementRepository, type OneStatementRedemption, type OneStatementResult } from './redemption-statement.repository';

interface Pending {
  r: OneStatementRedemption;
  resolve: (v: OneStatementResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit of one-statement redemptions, per api process. While fewer than
 * REDEEM_BATCH_IN_FLIGHT batches run, a redemption goes at once (alone, it is the plain
 * self-committing statement: no added wait at low load); what arrives while they all run waits
 * and goes with the others in the next batch (RedemptionStatementRepository.redeemBatch): one transaction,
 * one commit, a savepoint per redemption. So the wait is at most one batch, never a timer.
 *
 * Each redemption still gets its own answer: its result, or its own error (a statement error
 * rolls back only its savepoint), and only after the batch's commit. A process killed mid-batch
 * never leaves half of it: the batch function commits whole in PostgreSQL (the savepoint form
 * rolls back whole); the till's retry with the same idempotency key gets the first receipt or
 * sells once.
 *
 * Batches in flight at once have no goods in common. A batch keeps every goods row it took stock
 * from locked until its commit, so a second batch with one of those goods only waited on the
 * first: its statements skipped the locked rows, left the batch and ran again alone (README
 * "Open performance findings" 3). Now a redemption whose goods a batch in flight holds waits for
 * the next batch; others (another shop's, say) still go beside it.
 */
@Injectable()
export class RedemptionBatcher {
  private readonly inFlightMax: number;
  private readonly max: number;
  private readonly lockTimeoutMs: number;
  private queue: Pending[] = [];
  private inFlight = 0;
  /** Goods of the batches in flight, with how many of them hold each. */
  private readonly heldGoods = new Map<string, number>();

  constructor(
    private readonly repo: RedemptionStatementRepository,
    config: AppConfig,
  ) {
    this.inFlightMax = config.get('REDEEM_BATCH_IN_FLIGHT');
    this.max = config.get('REDEEM_BATCH_MAX');
    this.lockTimeoutMs = config.get('REDEEM_BATCH_LOCK_TIMEOUT_MS');
  }

  /** The one-statement redemption `r`, in a batch when others are waiting too. */
  redeem(r: OneStatementRedemption): Promise<OneStatementResult> {
    if (this.inFlightMax === 0) return this.repo.redeemInOneStatement(r);
    return new Promise<OneStatementResult>((resolve, reject) => {
      this.queue.push({ r, resolve, reject });
      this.pump();
    });
  }

  /**
   * `r` at once on its own: the plain self-committing statement, no slot, no queue and so no
   * batch lock timeout. For the one retry of a redemption a batch took out with 55P03: in a batch
   * again it could meet the same lock and time out again, and its till would get a 500.
   */
  redeemAlone(r: OneStatementRedemption): Promise<OneStatementResult> {
    redemptionBatchSize.observe(1);
    return this.repo.redeemInOneStatement(r);
  }

  private pump(): void {
    while (this.inFlight < this.inFlightMax && this.queue.length) {
      const batch = this.take();
      // Everything waiting shares goods with a batch in flight: it goes when that one is done.
      if (batch.length === 0) return;
      const goods = [...new Set(batch.flatMap(goodsOf))];
      for (const g of goods) this.heldGoods.set(g, (this.heldGoods.get(g) ?? 0) + 1);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const g of goods) {
          const n = (this.heldGoods.get(g) ?? 1) - 1;
          if (n > 0) this.heldGoods.set(g, n);
          else this.heldGoods.delete(g);
        }
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The next batch: in arrival order, up to REDEEM_BATCH_MAX of those whose goods no batch in flight holds. */
  private take(): Pending[] {
    if (this.heldGoods.size === 0) return this.queue.splice(0, this.max);
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (batch.length < this.max && !goodsOf(p).some((g) => this.heldGoods.has(g))) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    redemptionBatchSize.observe(batch.length);
    if (batch.length === 1) {
      const [p] = batch;
      await this.repo.redeemInOneStatement(p.r).then(p.resolve, p.reject);
      return;
    }
    try {
      const results = await this.repo.redeemBatch(
        batch.map((p) => p.r),
        this.lockTimeoutMs,
      );
      results.forEach((res, i) => ('error' in res ? batch[i].reject(res.error) : batch[i].resolve(res)));
    } catch {
      // The batch as a whole failed (no pooled connection in time, a lost connection, a failed
      // commit): each goes once more on its own, so one bad moment is not 32 failed sales. Safe
      // even if the commit did happen: the terminal + key is unique, and each statement re-checks
      // the account head, so a redemption already made is found and replayed, never made twice.
      await Promise.all(batch.map((p) => this.repo.redeemInOneStatement(p.r).then(p.resolve, p.reject)));
    }
  }
}

const goodsOf = (p: Pending): string[] => p.r.lines.map((l) => l.goodsId);

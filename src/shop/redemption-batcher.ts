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
 * commits nothing of it; the till's retry with the same idempotency key then sells once.
 */
@Injectable()
export class RedemptionBatcher {
  private readonly inFlightMax: number;
  private readonly max: number;
  private readonly lockTimeoutMs: number;
  private queue: Pending[] = [];
  private inFlight = 0;

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
      const batch = this.queue.splice(0, this.max);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
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

import { recordLedgerVerification } from '@app/metrics/metrics';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { LedgerRepository, type AccountProjection } from './ledger.repository';
import { checkpointValue } from './checkpoint';
import type { BrokenLink, CheckpointProblem, CheckpointReport, VerificationReport } from './ledger.types';
import { GENESIS_HASH, postingHash } from './posting-hash';
import { creditScoreDelta } from './projection';

export interface VerifyOptions {
  /** Accounts whose postings are read together (keyset-paged). */
  accountsPerGroup?: number;
  /** Postings per read. */
  chunkSize?: number;
  /**
   * Called once the account projections are read, before any posting is: a point where tests
   * commit postings to show the verifier does not see them (it reads one snapshot).
   */
  afterAccountsRead?: () => Promise<void>;
}

interface ChainState {
  account: AccountProjection;
  nextSeq: number;
  prevHash: string;
  balance: number;
  creditPoints: number;
  broken: BrokenLink | null;
}

/**
 * Recomputes every account's chain from its postings and compares it with what is stored
 * (DESIGN.md §4.3–4.4). Reads postings in (account_id, seq) order, a chunk at a time, so a town
 * with millions of postings never sits in memory at once. Reports, per broken account, the first
 * link that does not hold.
 */
@Injectable()
export class LedgerVerifier {
  constructor(private readonly repo: LedgerRepository) {}

  async verifyAll(opts: VerifyOptions = {}): Promise<VerificationReport> {
    const all: VerificationReport = { townId: null, ok: true, accountsChecked: 0, postingsChecked: 0, broken: [], checkpoints: { checked: 0, broken: [] } };
    for (const townId of await this.repo.listTownIds()) {
      const r = await this.verifyTown(townId, opts);
      all.accountsChecked += r.accountsChecked;
      all.postingsChecked += r.postingsChecked;
      all.broken.push(...r.broken);
      all.checkpoints.checked += r.checkpoints.checked;
      all.checkpoints.broken.push(...r.checkpoints.broken);
    }
    all.ok = all.broken.length === 0 && all.checkpoints.broken.length === 0;
    recordLedgerVerification(all);
    return all;
  }

  /**
   * All reads of a town in one REPEATABLE READ, READ ONLY transaction: one snapshot, so postings
   * committed while it runs (a shop open, a finalize) are neither half-seen nor reported as a
   * projection that ran ahead of its chain. Holds that snapshot for the run (minutes at 10 M
   * postings), which only delays vacuum meanwhile.
   */
  async verifyTown(townId: string, opts: VerifyOptions = {}): Promise<VerificationReport> {
    const report = await this.repo.dataSource.transaction('REPEATABLE READ', async (m) => {
      await m.query('SET TRANSACTION READ ONLY');
      return this.verifyTownIn(m, townId, opts);
    });
    recordLedgerVerification(report);
    return report;
  }

  private async verifyTownIn(m: EntityManager, townId: string, opts: VerifyOptions): Promise<VerificationReport> {
    const group = opts.accountsPerGroup ?? 1000;
    const chunkSize = opts.chunkSize ?? 50_000;
    const town = await this.repo.findTown(m, townId);
    if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
    const accounts = await this.repo.listAccountProjections(townId, m);
    await opts.afterAccountsRead?.();
    const report: VerificationReport = { townId, ok: true, accountsChecked: accounts.length, postingsChecked: 0, broken: [], checkpoints: { checked: 0, broken: [] } };

    for (let i = 0; i < accounts.length; i += group) {
      const states = new Map<string, ChainState>(
        accounts.slice(i, i + group).map((a) => [a.accountId, { account: a, nextSeq: 1, prevHash: GENESIS_HASH, balance: 0, creditPoints: 0, broken: null }]),
      );
      const ids = [...states.keys()];
      let after: { accountId: string; seq: number } | null = null;
      for (;;) {
        const chunk = await this.repo.readPostingsChunk(ids, after, chunkSize, m);
        for (const p of chunk) {
          const s = states.get(p.accountId) as ChainState;
          report.postingsChecked += 1;
          if (s.broken) continue;
          if (p.seq !== s.nextSeq) {
            s.broken = link(p.accountId, s.nextSeq, 'seq_gap', `seq ${s.nextSeq}`, `seq ${p.seq}`);
            continue;
          }
          if (p.prevHash !== s.prevHash) {
            s.broken = link(p.accountId, p.seq, 'prev_hash_mismatch', s.prevHash, p.prevHash);
            continue;
          }
          const recomputed = postingHash(p);
          if (recomputed !== p.hash) {
            s.broken = link(p.accountId, p.seq, 'hash_mismatch', recomputed, p.hash);
            continue;
          }
          s.nextSeq += 1;
          s.prevHash = p.hash;
          s.balance += p.points;
          s.creditPoints += creditScoreDelta(p.kind, p.points, p.period, s.account.ratingYear);
        }
        if (chunk.length < chunkSize) break;
        const last = chunk[chunk.length - 1];
        after = { accountId: last.accountId, seq: last.seq };
      }
      for (const s of states.values()) {
        const broken = s.broken ?? projectionProblem(s, town.baseScore);
        if (broken) report.broken.push(broken);
      }
    }
    for (const orphan of await this.repo.findPostingAccountsWithoutAccount(townId, m)) {
      report.broken.push(link(orphan.accountId, orphan.minSeq, 'missing_account', 'an account row', 'postings without an account'));
    }
    report.checkpoints = await this.verifyCheckpointsIn(m, townId);
    report.ok = report.broken.length === 0 && report.checkpoints.broken.length === 0;
    return report;
  }

  /**
   * Every checkpoint of the town, in its own format: the value recomputed from its stored heads
   * (version 1 the flat hash, version 2 the Merkle root) equals the stored one and the one on the
   * cycle (printed on the board), and every stored head is still the ledger's posting at that seq
   * (whose hash the chain check above recomputed). The first problem per checkpoint.
   */
  private async verifyCheckpointsIn(m: EntityManager, townId: string): Promise<CheckpointReport> {
    const checkpoints = await this.repo.listCheckpoints(townId, m);
    const broken = new Map<string, CheckpointProblem>();
    for (const cp of checkpoints) {
      const heads = cp.heads.map(([accountId, seq, headHash]) => ({ accountId, seq, headHash }));
      const recomputed = checkpointValue(cp.version, cp.villageId, cp.period, heads);
      const base = { cycleId: cp.cycleId, villageId: cp.villageId, period: cp.period, version: cp.version, accountId: null, seq: null };
      if (recomputed !== cp.hash) broken.set(cp.cycleId, { ...base, problem: 'hash_mismatch', expected: recomputed, found: cp.hash });
      else if (cp.cycleHash !== cp.hash) broken.set(cp.cycleId, { ...base, problem: 'cycle_hash_mismatch', expected: cp.hash, found: cp.cycleHash });
    }
    const byCycle = new Map(checkpoints.map((c) => [c.cycleId, c]));
    for (const h of await this.repo.firstMissingCheckpointHeads(townId, m)) {
      const cp = byCycle.get(h.cycleId);
      if (!cp || broken.has(h.cycleId)) continue;
      broken.set(h.cycleId, { cycleId: h.cycleId, villageId: cp.villageId, period: cp.period, version: cp.version, problem: 'head_missing', accountId: h.accountId, seq: h.seq, expected: h.expected, found: h.found });
    }
    return { checked: checkpoints.length, broken: checkpoints.map((c) => broken.get(c.cycleId)).filter((b): b is CheckpointProblem => !!b) };
  }
}

function link(accountId: string, seq: number, problem: BrokenLink['problem'], expected: string, found: string): BrokenLink {
  return { accountId, seq, problem, expected, found };
}

/** The chain holds; does the stored projection agree with it? */
function projectionProblem(s: ChainState, baseScore: number): BrokenLink | null {
  const a = s.account;
  const lastSeq = s.nextSeq - 1;
  // Postings missing at the end of the chain (deleted) show as a projection ahead of its postings.
  if (a.seq !== lastSeq) return link(a.accountId, Math.max(a.seq, lastSeq), 'seq_mismatch', `seq ${lastSeq} (last posting)`, `seq ${a.seq} (account)`);
  if (a.headHash !== s.prevHash) return link(a.accountId, lastSeq, 'head_mismatch', s.prevHash, a.headHash);
  if (a.balance !== s.balance) return link(a.accountId, lastSeq, 'balance_mismatch', String(s.balance), String(a.balance));
  const credit = baseScore + s.creditPoints;
  if (a.creditScore !== credit) return link(a.accountId, lastSeq, 'credit_score_mismatch', String(credit), String(a.creditScore));
  return null;
}

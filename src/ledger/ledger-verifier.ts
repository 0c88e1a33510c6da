import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { recordLedgerVerification } from '@app/metrics/metrics';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { ChainChecker, link, partitionAccounts, type ProjectionOfAccount } from './chain-check';
import { exportSnapshot, readChains, setChainReadSession } from './chain.repository';
import { checkpointValue } from './checkpoint';
import { LedgerRepository } from './ledger.repository';
import { VerificationRepository } from './verification.repository';
import type { BrokenLink, CheckpointProblem, CheckpointReport, VerificationReport } from './ledger.types';
import type { VerifyWorkerAnswer, VerifyWorkerData, VerifyWorkerRequest } from './verify-worker';

export interface VerifyOptions {
  /** At most this many accounts per partition (a partition is read with one cursor). */
  accountsPerGroup?: number;
  /** Postings per FETCH from the cursor. */
  chunkSize?: number;
  /**
   * Worker threads hashing partitions side by side (default LEDGER_VERIFY_WORKERS, else the
   * machine's cores). 0 checks in this thread. Workers run only from the built code (their
   * script is dist/src/ledger/verify-worker.js) and only for a town of at least
   * `workerMinPostings` postings (default LEDGER_VERIFY_WORKER_MIN_POSTINGS, else 20,000).
   */
  workers?: number;
  workerMinPostings?: number;
  /**
   * Called once the account projections are read, before any posting is: a point where tests
   * commit postings to show the verifier does not see them (it reads one snapshot).
   */
  afterAccountsRead?: () => Promise<void>;
  /** Told, per town, how the chains are checked: worker threads (0: this thread) and partitions. */
  onPlan?: (plan: { townId: string; workers: number; partitions: number; postings: number }) => void;
}

/** Partitions per worker: small enough that one slow partition does not leave a core idle at the end. */
const PARTITIONS_PER_WORKER = 4;

/** The compiled worker script beside this file, if this is the built code. */
function workerScript(): string | null {
  const dir = typeof __dirname === 'string' ? __dirname : null;
  if (!dir) return null;
  const file = join(dir, 'verify-worker.js');
  return existsSync(file) ? file : null;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Recomputes every account's chain from its postings and compares it with what is stored
 * (DESIGN.md §4.3–4.4). The town's accounts are cut into contiguous partitions; each is read
 * through a server-side cursor in (account_id, seq) order, so memory stays flat whatever the size
 * of the town, and hashed in worker threads (one PostgreSQL connection each, all in the
 * verifier's exported snapshot) or, for a small town or from the TypeScript sources, in this
 * thread. Reports, per broken account, the first link that does not hold.
 */
@Injectable()
export class LedgerVerifier {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly repo: VerificationRepository,
  ) {}

  async verifyAll(opts: VerifyOptions = {}): Promise<VerificationReport> {
    const all: VerificationReport = { townId: null, ok: true, accountsChecked: 0, postingsChecked: 0, broken: [], checkpoints: { checked: 0, broken: [] } };
    for (const townId of await this.ledger.listTownIds()) {
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
   * All reads of a town in one REPEATABLE READ, READ ONLY snapshot (the worker threads import
   * it): postings committed while it runs (a shop open, a finalize) are neither half-seen nor
   * reported as a projection that ran ahead of its chain. Holds that snapshot for the run
   * (minutes at 10 M postings), which only delays vacuum meanwhile.
   */
  async verifyTown(townId: string, opts: VerifyOptions = {}): Promise<VerificationReport> {
    const report = await this.repo.inSnapshot((m) => this.verifyTownIn(m, townId, opts));
    recordLedgerVerification(report);
    return report;
  }

  private async verifyTownIn(m: EntityManager, townId: string, opts: VerifyOptions): Promise<VerificationReport> {
    const fetchSize = opts.chunkSize ?? 20_000;
    const maxAccounts = opts.accountsPerGroup ?? 5_000;
    const town = await this.ledger.findTown(m, townId);
    if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
    const client = await this.repo.clientOf(m);
    await setChainReadSession(client);
    const accounts = await this.repo.listAccountProjections(townId, m);
    await opts.afterAccountsRead?.();
    const report: VerificationReport = { townId, ok: true, accountsChecked: accounts.length, postingsChecked: 0, broken: [], checkpoints: { checked: 0, broken: [] } };

    const expectedPostings = accounts.reduce((s, a) => s + a.seq, 0);
    const script = workerScript();
    const workers = Math.min(opts.workers ?? envInt('LEDGER_VERIFY_WORKERS') ?? availableParallelism(), 16);
    const useWorkers = script !== null && workers > 0 && expectedPostings >= (opts.workerMinPostings ?? envInt('LEDGER_VERIFY_WORKER_MIN_POSTINGS') ?? 20_000);
    const parts = partitionAccounts(accounts, useWorkers ? workers * PARTITIONS_PER_WORKER : 1, maxAccounts);
    opts.onPlan?.({ townId, workers: useWorkers ? Math.min(workers, parts.length) : 0, partitions: parts.length, postings: expectedPostings });

    let results: PartitionResult[];
    let orphans: Array<{ accountId: string; minSeq: number }>;
    if (useWorkers) {
      const snapshot = await exportSnapshot(client);
      const data = { connection: this.repo.workerConnectionConfig(), snapshot, townId, baseScore: town.baseScore, fetchSize };
      // The workers read the postings; this connection meanwhile does the other checks.
      const running = runInWorkers(script, Math.min(workers, parts.length), data, parts);
      const others = Promise.all([this.repo.findPostingAccountsWithoutAccount(townId, m), this.verifyCheckpointsIn(m, townId)]);
      const [r, o] = await Promise.allSettled([running, others]);
      if (r.status === 'rejected') throw r.reason;
      if (o.status === 'rejected') throw o.reason;
      results = r.value;
      [orphans, report.checkpoints] = o.value;
    } else {
      results = [];
      for (const accountsOfPart of parts) {
        const checker = new ChainChecker(accountsOfPart, town.baseScore);
        for await (const rows of readChains(client, townId, accountsOfPart[0].accountId, accountsOfPart[accountsOfPart.length - 1].accountId, fetchSize)) checker.add(rows);
        results.push({ postingsChecked: checker.postingsChecked, broken: checker.finish() });
      }
      orphans = await this.repo.findPostingAccountsWithoutAccount(townId, m);
      report.checkpoints = await this.verifyCheckpointsIn(m, townId);
    }
    for (const r of results) {
      report.postingsChecked += r.postingsChecked;
      report.broken.push(...r.broken);
    }
    for (const orphan of orphans) {
      report.broken.push(link(orphan.accountId, orphan.minSeq, 'missing_account', 'an account row', 'postings without an account'));
    }
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

interface PartitionResult {
  postingsChecked: number;
  broken: BrokenLink[];
}

/**
 * Checks the partitions in `count` worker threads, each taking the next partition when done
 * with one; answers in partition order. Any worker's failure fails the whole run (and stops the
 * others): a verification that did not read everything says nothing.
 */
async function runInWorkers(script: string, count: number, data: VerifyWorkerData, parts: ProjectionOfAccount[][]): Promise<PartitionResult[]> {
  const results: PartitionResult[] = new Array(parts.length);
  let next = 0;
  const workers: Worker[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(script, { workerData: data });
      workers.push(w);
      let finished = false;
      const give = () => {
        if (next >= parts.length) {
          finished = true;
          w.postMessage({ type: 'end' } satisfies VerifyWorkerRequest);
          return;
        }
        const id = next++;
        w.postMessage({ type: 'partition', id, accounts: parts[id] } satisfies VerifyWorkerRequest);
      };
      w.on('message', (a: VerifyWorkerAnswer) => {
        if (a.type === 'ready') give();
        else if (a.type === 'done') {
          results[a.id] = { postingsChecked: a.postingsChecked, broken: a.broken };
          give();
        } else reject(new Error(`ledger verify worker: ${a.message}`));
      });
      w.on('error', reject);
      w.on('exit', (code) => (finished ? resolve() : reject(new Error(`ledger verify worker exited (${code}) before it finished`))));
    });
  try {
    await Promise.all(Array.from({ length: count }, one));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  return results;
}

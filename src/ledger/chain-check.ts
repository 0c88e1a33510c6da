/**
 * The chain and projection check of a run of accounts, pure (no Nest, no TypeORM), so the
 * verifier runs it in its own thread and in worker threads alike (src/ledger/verify-worker.ts).
 * Rows come as text in (account_id, seq) order (src/ledger/chain.repository.ts); the hash is
 * recomputed from the text without building a Date per posting.
 */
import type { PostingKind } from './ledger.entities';
import type { BrokenLink } from './ledger.types';
import { GENESIS_HASH, isoOfPgUtcTimestamp, postingHashOfText } from './posting-hash';
import { creditScoreDelta } from './projection';

/** What the verifier knows of an account before reading its postings (the stored projection). */
export interface ProjectionOfAccount {
  accountId: string;
  balance: number;
  creditScore: number;
  ratingYear: number;
  seq: number;
  headHash: string;
}

/** One posting as text: account, seq, kind, points, source, counterparty, period, item, memo, posted at (UTC text), prev hash, hash. */
export type ChainRow = [string, string, string, string, string, string, string, string | null, string | null, string, string, string];

interface State {
  account: ProjectionOfAccount;
  nextSeq: number;
  prevHash: string;
  balance: number;
  creditPoints: number;
  broken: BrokenLink | null;
}

export function link(accountId: string, seq: number, problem: BrokenLink['problem'], expected: string, found: string): BrokenLink {
  return { accountId, seq, problem, expected, found };
}

/**
 * Checks the accounts of one partition: feed it every posting of these accounts in
 * (account_id, seq) order, then `finish()` gives the first broken link of each broken account in
 * the order the accounts were given. An account with no postings is checked as an empty chain.
 */
export class ChainChecker {
  private readonly states = new Map<string, State>();
  private current: State | null = null;
  postingsChecked = 0;

  constructor(
    private readonly accounts: readonly ProjectionOfAccount[],
    private readonly baseScore: number,
  ) {
    for (const a of accounts) this.states.set(a.accountId, { account: a, nextSeq: 1, prevHash: GENESIS_HASH, balance: 0, creditPoints: 0, broken: null });
  }

  add(rows: readonly ChainRow[]): void {
    for (const r of rows) {
      const accountId = r[0];
      let s = this.current;
      if (s === null || s.account.accountId !== accountId) {
        s = this.states.get(accountId) ?? null;
        // Not one of this partition's accounts: the reader asked for these accounts only.
        if (s === null) throw new Error(`chain check: posting of account ${accountId} outside the partition`);
        this.current = s;
      }
      this.postingsChecked += 1;
      if (s.broken) continue;
      const seq = Number(r[1]);
      if (seq !== s.nextSeq) {
        s.broken = link(accountId, s.nextSeq, 'seq_gap', `seq ${s.nextSeq}`, `seq ${seq}`);
        continue;
      }
      const prevHash = r[10];
      if (prevHash !== s.prevHash) {
        s.broken = link(accountId, seq, 'prev_hash_mismatch', s.prevHash, prevHash);
        continue;
      }
      const points = Number(r[3]);
      const recomputed = postingHashOfText(accountId, seq, r[2], points, r[4], r[5], r[6], r[7], r[8], isoOfPgUtcTimestamp(r[9]), prevHash);
      if (recomputed !== r[11]) {
        s.broken = link(accountId, seq, 'hash_mismatch', recomputed, r[11]);
        continue;
      }
      s.nextSeq += 1;
      s.prevHash = r[11];
      s.balance += points;
      s.creditPoints += creditScoreDelta(r[2] as PostingKind, points, r[6], s.account.ratingYear);
    }
  }

  finish(): BrokenLink[] {
    const out: BrokenLink[] = [];
    for (const a of this.accounts) {
      const s = this.states.get(a.accountId) as State;
      const broken = s.broken ?? projectionProblem(s, this.baseScore);
      if (broken) out.push(broken);
    }
    return out;
  }
}

/** The chain holds; does the stored projection agree with it? */
function projectionProblem(s: State, baseScore: number): BrokenLink | null {
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

/**
 * Cuts accounts (in account order) into contiguous partitions of about equal postings (the
 * projection's seq says how many an account has), at most `maxAccounts` accounts each.
 */
export function partitionAccounts<T extends { seq: number }>(accounts: readonly T[], parts: number, maxAccounts: number): T[][] {
  const total = accounts.reduce((s, a) => s + Math.max(1, a.seq), 0);
  const target = Math.max(1, Math.ceil(total / Math.max(1, parts)));
  const out: T[][] = [];
  let cur: T[] = [];
  let weight = 0;
  for (const a of accounts) {
    cur.push(a);
    weight += Math.max(1, a.seq);
    if (weight >= target || cur.length >= maxAccounts) {
      out.push(cur);
      cur = [];
      weight = 0;
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

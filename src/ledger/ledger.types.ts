import type { GradeThresholds } from '@app/scoring/grade';
import type { PostingKind } from './ledger.entities';

/** What a feature asks the ledger to post. LedgerService is the only writer of postings. */
export interface PostingRequest {
  /** The resident's id (an account is keyed by its resident). */
  accountId: string;
  kind: PostingKind;
  /** Signed integer points. */
  points: number;
  /** With `kind`, unique across the ledger: the same (kind, sourceRef) posts once, ever. */
  sourceRef: string;
  /** 'town:<uuid>' for issuance, 'shop:<uuid>' for redemptions. */
  counterparty: string;
  /** 'YYYY-MM' (Asia/Shanghai) the posting belongs to; its year is the rating year it counts for. */
  period: string;
  itemCode?: string | null;
  memo?: string | null;
  /** Refuse the whole batch when this posting would leave the balance below zero (redemptions). */
  requireCovered?: boolean;
}

/** A posting as stored, without its id (what LedgerService hashes and inserts). */
export interface PostingRow {
  townId: string;
  villageId: string;
  accountId: string;
  seq: number;
  kind: PostingKind;
  points: number;
  sourceRef: string;
  counterparty: string;
  period: string;
  itemCode: string | null;
  memo: string | null;
  postedAt: Date;
  prevHash: string;
  hash: string;
}

export interface PostedPosting extends PostingRow {
  id: string;
  /** Account balance and credit score right after this posting. */
  balanceAfter: number;
  creditScoreAfter: number;
}

export interface PostResult {
  posted: number;
  /** Requests not posted because their (kind, sourceRef) was already in the ledger (or earlier in the batch). */
  skipped: number;
  postings: PostedPosting[];
  skippedRequests: PostingRequest[];
  /** Accounts whose grade this batch changed (before → after), for the residents' notices. */
  gradeChanges: GradeChange[];
}

export interface GradeChange {
  accountId: string;
  from: string;
  to: string;
}

export interface BrokenLink {
  accountId: string;
  /** The seq at which the chain (or the projection) first disagrees. */
  seq: number;
  problem: 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch' | 'seq_mismatch' | 'balance_mismatch' | 'credit_score_mismatch' | 'missing_account';
  expected: string;
  found: string;
}

/** The account chains and projections alone. */
export interface ChainReport {
  townId: string | null;
  ok: boolean;
  accountsChecked: number;
  postingsChecked: number;
  /** The first broken link of each broken account, in account order. */
  broken: BrokenLink[];
}

export type CheckpointProblemKind = 'hash_mismatch' | 'cycle_hash_mismatch' | 'head_missing';

/** The first problem of one village-period checkpoint. */
export interface CheckpointProblem {
  cycleId: string;
  villageId: string;
  period: string;
  /** 1 flat hash, 2 Merkle root. */
  version: number;
  problem: CheckpointProblemKind;
  accountId: string | null;
  seq: number | null;
  expected: string;
  found: string | null;
}

export interface CheckpointReport {
  checked: number;
  broken: CheckpointProblem[];
}

/** Chains, projections and the town's checkpoints (v1 flat hashes and v2 Merkle roots), one snapshot. */
export interface VerificationReport extends ChainReport {
  /** ok covers these too. */
  checkpoints: CheckpointReport;
}

/** An account's head as the ledger computes the next posting from it (locked, or read for a one-statement redemption). */
export interface LockedAccount {
  accountId: string;
  townId: string;
  villageId: string;
  balance: number;
  creditScore: number;
  grade: string;
  ratingYear: number;
  seq: number;
  headHash: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
}

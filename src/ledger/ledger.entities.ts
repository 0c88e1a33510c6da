import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

export const POSTING_KINDS = ['deed', 'redemption', 'redemption_void', 'correction', 'opening_balance', 'expiry'] as const;
export type PostingKind = (typeof POSTING_KINDS)[number];

/**
 * Append-only ledger (trigger refuses UPDATE/DELETE). Each account's postings form a hash chain
 * (seq 1, 2, …; prev_hash → hash). A source posts once per kind (unique index).
 */
@Entity({ name: 'postings' })
@Unique('uq_postings_account_seq', ['accountId', 'seq', 'townId'])
@Unique('uq_postings_kind_source', ['kind', 'sourceRef', 'townId'])
@Index('ix_postings_village_period', ['villageId', 'period'])
// Keyset pagination of the auditors' postings search (docs/QUERIES.md).
@Index('ix_postings_town_posted', ['townId', 'postedAt', 'id'])
@Index('ix_postings_village_posted', ['villageId', 'postedAt', 'id'])
@Index('ix_postings_town_kind_posted', ['townId', 'kind', 'postedAt', 'id'])
@Index('ix_postings_town_item_posted', ['townId', 'itemCode', 'postedAt', 'id'])
@Index('ix_postings_town_period_posted', ['townId', 'period', 'postedAt', 'id'])
// The town dashboard's monthly totals, answered from the index alone (migration DashboardIndexes).
@Index('ix_postings_town_period_totals', ['townId', 'period', 'kind', 'villageId', 'counterparty', 'points'])
@Check('ck_postings_kind', `kind IN ('deed','redemption','redemption_void','correction','opening_balance','expiry')`)
@Check('ck_postings_seq', 'seq >= 1')
export class Posting {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ type: 'integer' })
  seq: number;

  @Column({ type: 'text' })
  kind: PostingKind;

  @Column({ type: 'integer' })
  points: number;

  @Column({ name: 'source_ref', type: 'text' })
  sourceRef: string;

  /** 'town:<id>' for issuance, 'shop:<id>' for redemptions. */
  @Column({ type: 'text' })
  counterparty: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ name: 'item_code', type: 'text', nullable: true })
  itemCode: string | null;

  @Column({ type: 'text', nullable: true })
  memo: string | null;

  @Column({ name: 'posted_at', type: 'timestamptz' })
  postedAt: Date;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}

/** Projection of an account's postings; rebuildable. Updated in the posting transaction. */
@Entity({ name: 'accounts' })
@Index('ix_accounts_village', ['villageId'])
@Index('ix_accounts_town', ['townId', 'residentId'])
@Check('ck_accounts_seq', 'seq >= 0')
export class Account {
  @PrimaryColumn({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'integer', default: 0 })
  balance: number;

  @Column({ name: 'credit_score', type: 'integer' })
  creditScore: number;

  @Column({ type: 'text' })
  grade: string;

  @Column({ name: 'rating_year', type: 'integer' })
  ratingYear: number;

  @Column({ type: 'integer', default: 0 })
  seq: number;

  @Column({ name: 'head_hash', type: 'char', length: 64 })
  headHash: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A correction of a posted deed: a full reversal or a corrective amount, with its reason. */
@Entity({ name: 'ledger_corrections' })
@Index('uq_corrections_one_reversal', ['originalPostingId', 'townId'], { unique: true, where: `type = 'reversal'` })
@Check('ck_corrections_type', `type IN ('reversal','amount')`)
export class LedgerCorrection {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @Column({ name: 'original_posting_id', type: 'bigint' })
  originalPostingId: string;

  @Column({ type: 'text' })
  type: 'reversal' | 'amount';

  @Column({ type: 'integer' })
  points: number;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The archived rating of a resident's finished rating year. */
@Entity({ name: 'yearly_ratings' })
export class YearlyRating {
  @PrimaryColumn({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @PrimaryColumn({ type: 'integer' })
  year: number;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'credit_score', type: 'integer' })
  creditScore: number;

  @Column({ type: 'text' })
  grade: string;

  @CreateDateColumn({ name: 'archived_at', type: 'timestamptz' })
  archivedAt: Date;
}

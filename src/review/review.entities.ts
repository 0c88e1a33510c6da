import type { CheckpointVersion } from '@app/ledger/checkpoint';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

export const CYCLE_STATES = ['open', 'closed', 'reviewed', 'publicized', 'finalized'] as const;
export type CycleState = (typeof CYCLE_STATES)[number];

/** One review cycle per village per period: open → closed → reviewed → publicized → finalized. */
@Entity({ name: 'review_cycles' })
@Unique('uq_review_cycles_village_period', ['villageId', 'period', 'townId'])
@Index('ix_review_cycles_town_period', ['townId', 'period'])
@Check('ck_review_cycles_state', `state IN ('open','closed','reviewed','publicized','finalized')`)
export class ReviewCycle {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ type: 'text', default: 'open' })
  state: CycleState;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true })
  reviewedAt: Date | null;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  @Column({ name: 'window_ends_at', type: 'timestamptz', nullable: true })
  windowEndsAt: Date | null;

  @Column({ name: 'finalized_at', type: 'timestamptz', nullable: true })
  finalizedAt: Date | null;

  @Column({ name: 'checkpoint_hash', type: 'char', length: 64, nullable: true })
  checkpointHash: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** Every cycle transition, with who and why (append-only). */
@Entity({ name: 'cycle_events' })
export class CycleEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'cycle_id', type: 'uuid' })
  cycleId: string;

  @Column({ name: 'from_state', type: 'text', nullable: true })
  fromState: CycleState | null;

  @Column({ name: 'to_state', type: 'text' })
  toState: CycleState;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}

/** The village meeting (议事会) that decided a cycle's entries. One per cycle; a re-record appends. */
@Entity({ name: 'review_meetings' })
export class ReviewMeeting {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'cycle_id', type: 'uuid' })
  cycleId: string;

  @Column({ name: 'held_on', type: 'date' })
  heldOn: string;

  @Column({ type: 'jsonb' })
  attendees: string[];

  @Column({ type: 'text' })
  minutes: string;

  @Column({ name: 'recorded_by', type: 'uuid' })
  recordedBy: string;

  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}

/** What the public board shows, fixed at publish (append-only: a board never changes). */
@Entity({ name: 'boards' })
export class Board {
  @PrimaryColumn({ name: 'cycle_id', type: 'uuid' })
  cycleId: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  period: string;

  /** json, not jsonb: stored and sent as the text written at publish (read whole, never queried inside). */
  @Column({ type: 'json' })
  content: Record<string, unknown>;

  /** The JSON board's fixed parts as UTF-8 (src/board/board-json.ts); null on boards published before them. */
  @Column({ name: 'public_parts', type: 'bytea', nullable: true })
  publicParts: Buffer | null;

  /** The format the parts were written in (BOARD_PARTS_VERSION); they are used only in that format. */
  @Column({ name: 'public_parts_version', type: 'smallint', nullable: true })
  publicPartsVersion: number | null;

  @CreateDateColumn({ name: 'published_at', type: 'timestamptz' })
  publishedAt: Date;
}

export const OBJECTION_OUTCOMES = ['upheld', 'dismissed'] as const;
export type ObjectionOutcome = (typeof OBJECTION_OUTCOMES)[number];

/** An objection to an entry on the board; flags the entry until answered. */
@Entity({ name: 'objections' })
@Index('ix_objections_town_due', ['townId', 'dueAt'])
@Index('uq_objections_town_number', ['townId', 'number'], { unique: true })
@Check('ck_objections_outcome', `outcome IS NULL OR outcome IN ('upheld','dismissed')`)
export class Objection {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Index()
  @Column({ name: 'cycle_id', type: 'uuid' })
  cycleId: string;

  @Index()
  @Column({ name: 'entry_id', type: 'uuid' })
  entryId: string;

  @Column({ name: 'objector_name', type: 'text' })
  objectorName: string;

  @Column({ type: 'text' })
  contact: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'client_ip', type: 'text', nullable: true })
  clientIp: string | null;

  @CreateDateColumn({ name: 'filed_at', type: 'timestamptz' })
  filedAt: Date;

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt: Date;

  @Column({ type: 'text', nullable: true })
  outcome: ObjectionOutcome | null;

  @Column({ type: 'text', nullable: true })
  answer: string | null;

  @Column({ name: 'answered_by', type: 'uuid', nullable: true })
  answeredBy: string | null;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt: Date | null;

  /** 异议编号: the record number and the nth objection to it, e.g. DC-2611-0042-Y1. */
  @Column({ type: 'text' })
  number: string;
}

/**
 * The account heads a finalize saw (the checkpoint's input), kept so the checkpoint can be
 * re-verified later even after the chains have grown, and (version 2) so any account's inclusion
 * proof can be built from them. Append-only.
 */
@Entity({ name: 'cycle_checkpoints' })
@Check('ck_cycle_checkpoints_version', 'version IN (1, 2)')
// A resident's proof looks up its village's checkpoint of a period (or the latest) on each view.
@Index('uq_cycle_checkpoints_village_period', ['villageId', 'period', 'townId'], { unique: true })
export class CycleCheckpoint {
  @PrimaryColumn({ name: 'cycle_id', type: 'uuid' })
  cycleId: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ type: 'jsonb' })
  heads: Array<[string, number, string]>;

  /** The checkpoint value: version 1 the flat hash, version 2 the Merkle root (what the board prints). */
  @Column({ type: 'char', length: 64 })
  hash: string;

  /** How `hash` was computed from `heads`; rows from before version 2 are 1. */
  @Column({ type: 'smallint' })
  version: CheckpointVersion;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export const CYCLE_STATES = ['open', 'closed', 'reviewed', 'publicized', 'finalized'] as const;
export type CycleState = (typeof CYCLE_STATES)[number];

/** One review cycle per village per period: open → closed → reviewed → publicized → finalized. */
@Entity({ name: 'review_cycles' })
@Unique('uq_review_cycles_village_period', ['villageId', 'period'])
@Index('ix_review_cycles_town_period', ['townId', 'period'])
@Check('ck_review_cycles_state', `state IN ('open','closed','reviewed','publicized','finalized')`)
export class ReviewCycle {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'town_id', type: 'uuid' })
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

  @Column({ name: 'town_id', type: 'uuid' })
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

import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Explanation } from '@app/scoring/rules/rule.types';

export const ENTRY_EVENT_TYPES = [
  'submitted',
  'assessed',
  'flagged_duplicate',
  'approved',
  'rejected',
  'published',
  'disputed',
  'objection_upheld',
  'objection_dismissed',
  'posted',
  'withdrawn',
] as const;
export type EntryEventType = (typeof ENTRY_EVENT_TYPES)[number];

export const ENTRY_STATUSES = ['submitted', 'approved', 'rejected', 'withdrawn', 'posted'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/** A scored deed as typed by the village clerk. Immutable content (trigger). */
@Entity({ name: 'deed_entries' })
// (village, period) look-ups, and the town dashboard's per-item counts from the index alone.
@Index('ix_entries_village_period_items', ['villageId', 'period', 'itemCode', 'itemId', 'occurredOn', 'points'])
@Index('ix_entries_resident_item_period', ['residentId', 'itemCode', 'period'])
@Index('uq_entries_idempotency', ['villageId', 'idempotencyKey', 'townId'], { unique: true, where: 'idempotency_key IS NOT NULL' })
@Index('uq_entries_town_record_no', ['townId', 'recordNo'], { unique: true })
@Check('ck_entries_period', `period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`)
export class DeedEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @Column({ name: 'item_id', type: 'uuid' })
  itemId: string;

  @Column({ name: 'item_code', type: 'text' })
  itemCode: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ name: 'occurred_on', type: 'date' })
  occurredOn: string;

  @Column({ type: 'numeric', precision: 14, scale: 6, nullable: true })
  quantity: string | null;

  @Column({ name: 'chosen_points', type: 'integer', nullable: true })
  chosenPoints: number | null;

  /** Points as computed by the rule engine when typed (provisional until the period closes). */
  @Column({ type: 'integer' })
  points: number;

  @Column({ type: 'jsonb' })
  explanation: Explanation;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'evidence_note', type: 'text', nullable: true })
  evidenceNote: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  @Index()
  @Column({ name: 'batch_id', type: 'uuid', nullable: true })
  batchId: string | null;

  /** The entry this one corrects (an upheld objection's replacement), if any. */
  @Column({ name: 'replaces_entry_id', type: 'uuid', nullable: true })
  replacesEntryId: string | null;

  @Column({ name: 'entered_by', type: 'uuid' })
  enteredBy: string;

  @CreateDateColumn({ name: 'entered_at', type: 'timestamptz' })
  enteredAt: Date;

  /** 记录编号, e.g. DC-2611-0042 (src/entries/record-number.ts): assigned at creation, never changed. */
  @Column({ name: 'record_no', type: 'text' })
  recordNo: string;
}

/**
 * The last record-number sequence used per village-period: taken with one upsert per insert
 * (the row lock serialises concurrent entry inserts of one village-period until they commit,
 * and a rolled-back insert rolls its numbers back too, so numbers have no gaps at creation).
 */
@Entity({ name: 'record_counters' })
export class RecordCounter {
  @PrimaryColumn({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @PrimaryColumn({ type: 'text' })
  period: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'last_seq', type: 'integer' })
  lastSeq: number;
}

/** The lifecycle of an entry, append-only (trigger). */
@Entity({ name: 'entry_events' })
export class EntryEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'entry_id', type: 'uuid' })
  entryId: string;

  @Column({ type: 'text' })
  type: EntryEventType;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'jsonb', nullable: true })
  data: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}

/**
 * Current state of each entry: a projection of its events, kept in the same transaction as
 * each event so the review sheet and finalize read one row per entry instead of replaying.
 */
@Entity({ name: 'entry_states' })
// No index holds status (or any column an update of the state changes): those updates stay HOT
// (migration EntryStatesHot, fillfactor 50).
@Index('ix_entry_states_village_period', ['villageId', 'period'])
export class EntryState {
  @PrimaryColumn({ name: 'entry_id', type: 'uuid' })
  entryId: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ type: 'text' })
  status: EntryStatus;

  /** Points after period-level assessment (close); null until assessed. */
  @Column({ name: 'final_points', type: 'integer', nullable: true })
  finalPoints: number | null;

  @Column({ name: 'final_explanation', type: 'jsonb', nullable: true })
  finalExplanation: Explanation | null;

  @Column({ name: 'duplicate_of', type: 'uuid', nullable: true })
  duplicateOf: string | null;

  @Column({ type: 'boolean', default: false })
  disputed: boolean;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** One uploaded file of entries; the same bytes twice for a village is refused. */
@Entity({ name: 'entry_batches' })
@Index('uq_entry_batches_village_checksum', ['villageId', 'checksum', 'townId'], { unique: true })
export class EntryBatch {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ type: 'text' })
  checksum: string;

  @Column({ type: 'text' })
  filename: string;

  @Column({ name: 'row_count', type: 'integer' })
  rowCount: number;

  @Column({ name: 'uploaded_by', type: 'uuid' })
  uploadedBy: string;

  @CreateDateColumn({ name: 'uploaded_at', type: 'timestamptz' })
  uploadedAt: Date;
}

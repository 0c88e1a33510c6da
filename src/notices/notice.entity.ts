import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { NoticeKind } from './templates';

export const SMS_STATES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type SmsState = (typeof SMS_STATES)[number];
/** Why a notice is not sent by SMS (it is still on the resident's page). */
export const SKIP_REASONS = ['no_phone', 'no_consent', 'inactive'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * The notice outbox: one row per thing a resident is told about, written in the transaction of
 * what caused it (publish, finalize, an objection's answer, a redemption), so a notice exists
 * exactly when its cause committed. `source_key` makes recording it twice harmless. The SMS is
 * sent from here by the notices.deliver job, at least once; the row keeps its state.
 */
@Entity({ name: 'notices' })
@Index('uq_notices_source_key', ['sourceKey', 'townId'], { unique: true })
@Index('ix_notices_resident', ['residentId', 'id'])
@Index('ix_notices_town_state', ['townId', 'smsState'])
@Index('ix_notices_due', ['nextAttemptAt', 'id'], { where: `sms_state = 'pending'` })
@Check('ck_notices_kind', `kind IN ('breach_published','points_posted','grade_changed','objection_answered','redemption')`)
@Check('ck_notices_sms_state', `sms_state IN ('pending','sent','failed','skipped')`)
export class Notice {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @Column({ type: 'text' })
  kind: NoticeKind;

  /** What caused it, e.g. `breach:<entry id>`, `posted:<first posting id>`; unique. */
  @Column({ name: 'source_key', type: 'text' })
  sourceKey: string;

  /** The template's values (src/notices/templates.ts NoticeData). */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ name: 'sms_state', type: 'text', default: 'pending' })
  smsState: SmsState;

  @Column({ name: 'skip_reason', type: 'text', nullable: true })
  skipReason: SkipReason | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** When the next attempt is due; while a run holds the notice, the end of its lease. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null;

  /** The gateway's answer to the last failed attempt (status and body), for the town admin. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

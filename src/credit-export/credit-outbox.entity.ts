import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Posted deeds waiting to be reported to the public credit information platform. Written in
 * the finalize transaction (so nothing posted is forgotten), sent by the credit.export job.
 * One narrow row per posting: the record the platform gets is built from the posting when it is
 * sent (postings are append-only, so it is the same body every time); `village_id` and `period`
 * are the posting's, copied so the backlog counts read an index, not the postings.
 */
@Entity({ name: 'credit_outbox' })
@Index('ix_credit_outbox_status', ['status', 'id'])
@Index('ix_credit_outbox_unsent', ['townId', 'period', 'villageId', 'status'], { where: `status <> 'sent'` })
@Index('uq_credit_outbox_posting', ['postingId', 'townId'], { unique: true })
@Check('ck_credit_outbox_status', `status IN ('pending','sent','failed')`)
export class CreditOutboxRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'posting_id', type: 'bigint' })
  postingId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  period: string;

  @Column({ type: 'text', default: 'pending' })
  status: 'pending' | 'sent' | 'failed';

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

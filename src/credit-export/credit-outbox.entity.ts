import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Posted deeds waiting to be reported to the public credit information platform. Written in
 * the finalize transaction (so nothing posted is forgotten), sent by the credit.export job.
 */
@Entity({ name: 'credit_outbox' })
@Index('ix_credit_outbox_status', ['status', 'id'])
@Index('uq_credit_outbox_posting', ['postingId', 'townId'], { unique: true })
@Check('ck_credit_outbox_status', `status IN ('pending','sent','failed')`)
export class CreditOutboxRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'posting_id', type: 'bigint' })
  postingId: string;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

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

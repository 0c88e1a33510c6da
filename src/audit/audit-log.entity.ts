import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Every staff/terminal write: who, role, what, target, when, request id, summary. Append-only (trigger). */
@Entity({ name: 'audit_log' })
@Index('ix_audit_town_at', ['townId', 'at'])
@Index('ix_audit_actor_at', ['actorId', 'at'])
@Index('ix_audit_target', ['targetType', 'targetId'])
export class AuditLogEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'actor_type', type: 'text' })
  actorType: 'staff' | 'terminal' | 'system' | 'public';

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId: string | null;

  @Column({ name: 'actor_role', type: 'text', nullable: true })
  actorRole: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  summary: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}

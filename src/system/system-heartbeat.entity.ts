import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One row per processed `system.heartbeat` job: proves a worker is consuming the queues. */
@Entity({ name: 'system_heartbeats' })
export class SystemHeartbeat {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @Index({ unique: true })
  @Column({ name: 'job_id', type: 'text' })
  jobId: string;

  @Column({ name: 'worker', type: 'text' })
  worker: string;

  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' })
  processedAt: Date;
}

import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A resident's access token for the phone page (only its hash). At most one live token per
 * resident (partial unique index): reissuing revokes the old one in the same transaction.
 * Revoked rows stay, so who issued and revoked which card, and when, remains on record.
 */
@Entity({ name: 'resident_access_tokens' })
@Index('uq_resident_access_tokens_hash', ['tokenHash', 'townId'], { unique: true })
@Index('uq_resident_access_tokens_live', ['residentId', 'townId'], { unique: true, where: 'revoked_at IS NULL' })
@Index('ix_resident_access_tokens_resident', ['residentId', 'issuedAt'])
export class ResidentAccessToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'issued_by', type: 'uuid' })
  issuedBy: string;

  @CreateDateColumn({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy: string | null;
}

import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['town_admin', 'village_clerk', 'village_reviewer', 'auditor', 'shop_clerk'] as const;
export type Role = (typeof ROLES)[number];

/** Staff login. Scope: town always; village for clerks/reviewers; shop for shop clerks. */
@Entity({ name: 'staff_users' })
@Check('ck_staff_role', `role IN ('town_admin','village_clerk','village_reviewer','auditor','shop_clerk')`)
@Check(
  'ck_staff_scope',
  `(role IN ('village_clerk','village_reviewer') AND village_id IS NOT NULL AND shop_id IS NULL) OR (role = 'shop_clerk' AND shop_id IS NOT NULL AND village_id IS NULL) OR (role IN ('town_admin','auditor') AND village_id IS NULL AND shop_id IS NULL)`,
)
export class StaffUser {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'text' })
  username: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Column({ type: 'text' })
  role: string;

  @Index()
  @Column({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'village_id', type: 'uuid', nullable: true })
  villageId: string | null;

  @Column({ name: 'shop_id', type: 'uuid', nullable: true })
  shopId: string | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Set for a one-time password (first install): every call but `POST /auth/password` is refused. */
  @Column({ name: 'must_change_password', type: 'boolean', default: false })
  mustChangePassword: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** Refresh tokens, stored hashed; rotated on use (a reused old token revokes the family). */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ name: 'staff_id', type: 'uuid' })
  staffId: string;

  @Index({ unique: true })
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * Failed logins per typed username and client address. Guessing slows down for that pair only
 * (a growing delay, 429 with Retry-After), so a stranger's failures never lock the real user out
 * of their own device; the row is dropped at that pair's next successful login.
 */
@Entity({ name: 'login_failures' })
export class LoginFailure {
  @PrimaryColumn({ type: 'text' })
  username: string;

  @PrimaryColumn({ type: 'text' })
  client: string;

  /** Attempts since the last success (an attempt is counted before the password is checked). */
  @Column({ type: 'integer' })
  failures: number;

  @Index()
  @Column({ name: 'last_failed_at', type: 'timestamptz' })
  lastFailedAt: Date;

  @Column({ name: 'blocked_until', type: 'timestamptz', nullable: true })
  blockedUntil: Date | null;
}

/**
 * A login session: one per login, its id is the refresh-token family id and the `sid` claim of
 * every access token issued in it. The guard looks the session up on each staff request (primary
 * key), so logout, deactivation and a password change refuse that session's access tokens at once.
 */
@Entity({ name: 'staff_sessions' })
export class StaffSession {
  @PrimaryColumn('uuid')
  id: string;

  @Index()
  @Column({ name: 'staff_id', type: 'uuid' })
  staffId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  /** logout, refresh_reuse, deactivated, password_changed. */
  @Column({ name: 'end_reason', type: 'text', nullable: true })
  endReason: string | null;
}

/** A shop terminal's API key: shown once, stored as SHA-256; looked up by its public prefix. */
@Entity({ name: 'terminals' })
export class Terminal {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'shop_id', type: 'uuid' })
  shopId: string;

  @Column({ type: 'text' })
  name: string;

  @Index({ unique: true })
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix: string;

  @Column({ name: 'key_hash', type: 'text' })
  keyHash: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}

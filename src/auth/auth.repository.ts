import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryOne } from '@app/database/sql';
import type { Role } from './auth.entities';

export interface StaffRow {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  townId: string;
  villageId: string | null;
  shopId: string | null;
  active: boolean;
  failedLogins: number;
  lockedUntil: Date | null;
}

const STAFF_COLUMNS = `id, username, display_name AS "displayName", password_hash AS "passwordHash", role, town_id AS "townId",
  village_id AS "villageId", shop_id AS "shopId", active, failed_logins AS "failedLogins", locked_until AS "lockedUntil"`;

export interface TerminalRow {
  id: string;
  townId: string;
  shopId: string;
  name: string;
  keyPrefix: string;
  keyHash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const TERMINAL_COLUMNS = `id, town_id AS "townId", shop_id AS "shopId", name, key_prefix AS "keyPrefix", key_hash AS "keyHash", created_at AS "createdAt", revoked_at AS "revokedAt"`;

@Injectable()
export class AuthRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findStaffByUsername(username: string): Promise<StaffRow | null> {
    const rows: StaffRow[] = await this.db.query(`SELECT ${STAFF_COLUMNS} FROM staff_users WHERE username = $1`, [username]);
    return rows[0] ?? null;
  }

  async findStaffById(id: string): Promise<StaffRow | null> {
    const rows: StaffRow[] = await this.db.query(`SELECT ${STAFF_COLUMNS} FROM staff_users WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async listStaffOfTown(townId: string): Promise<StaffRow[]> {
    return this.db.query(`SELECT ${STAFF_COLUMNS} FROM staff_users WHERE town_id = $1 ORDER BY username`, [townId]);
  }

  async insertStaff(s: Omit<StaffRow, 'id' | 'active' | 'failedLogins' | 'lockedUntil'>): Promise<StaffRow> {
    const rows: StaffRow[] = await this.db.query(
      `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, village_id, shop_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${STAFF_COLUMNS}`,
      [s.username, s.displayName, s.passwordHash, s.role, s.townId, s.villageId, s.shopId],
    );
    return rows[0];
  }

  async setStaffActive(id: string, active: boolean): Promise<void> {
    await this.db.query(`UPDATE staff_users SET active = $2 WHERE id = $1`, [id, active]);
  }

  /** Counts a failed login atomically; locks the account once the count reaches `maxFailures`. */
  async recordFailedLogin(id: string, maxFailures: number, lockSeconds: number): Promise<{ failedLogins: number; lockedUntil: Date | null }> {
    const row = await queryOne<{ failedLogins: number; lockedUntil: Date | null }>(
      this.db,
      `UPDATE staff_users SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
       WHERE id = $1 RETURNING failed_logins AS "failedLogins", locked_until AS "lockedUntil"`,
      [id, maxFailures, lockSeconds],
    );
    return row ?? { failedLogins: 0, lockedUntil: null };
  }

  async resetFailedLogins(id: string): Promise<void> {
    await this.db.query(`UPDATE staff_users SET failed_logins = 0, locked_until = NULL WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)`, [id]);
  }

  async insertRefreshToken(staffId: string, tokenHash: string, familyId: string, expiresAt: Date): Promise<void> {
    await this.db.query(`INSERT INTO refresh_tokens (staff_id, token_hash, family_id, expires_at) VALUES ($1, $2, $3, $4)`, [
      staffId,
      tokenHash,
      familyId,
      expiresAt,
    ]);
  }

  /**
   * Marks a refresh token used, once: returns it only to the first caller, so a token can be
   * exchanged exactly once even under concurrent refreshes.
   */
  async consumeRefreshToken(tokenHash: string): Promise<{ staffId: string; familyId: string; expiresAt: Date } | 'reused' | null> {
    const row = await queryOne<{ staffId: string; familyId: string; expiresAt: Date }>(
      this.db,
      `UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL
       RETURNING staff_id AS "staffId", family_id AS "familyId", expires_at AS "expiresAt"`,
      [tokenHash],
    );
    if (row) return row;
    const existing = await this.db.query(`SELECT family_id AS "familyId" FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]);
    return existing[0] ? 'reused' : null;
  }

  /** Revokes the token's family; returns whose it was (null for a token never issued). */
  async revokeFamilyOf(tokenHash: string): Promise<string | null> {
    await this.db.query(
      `UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
      [tokenHash],
    );
    const rows: Array<{ staffId: string }> = await this.db.query(`SELECT staff_id AS "staffId" FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]);
    return rows[0]?.staffId ?? null;
  }

  async findTerminalByPrefix(prefix: string): Promise<TerminalRow | null> {
    const rows: TerminalRow[] = await this.db.query(`SELECT ${TERMINAL_COLUMNS} FROM terminals WHERE key_prefix = $1`, [prefix]);
    return rows[0] ?? null;
  }

  async findTerminal(id: string): Promise<TerminalRow | null> {
    const rows: TerminalRow[] = await this.db.query(`SELECT ${TERMINAL_COLUMNS} FROM terminals WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async listTerminalsOfShop(shopId: string): Promise<TerminalRow[]> {
    return this.db.query(`SELECT ${TERMINAL_COLUMNS} FROM terminals WHERE shop_id = $1 ORDER BY created_at`, [shopId]);
  }

  async insertTerminal(t: { townId: string; shopId: string; name: string; keyPrefix: string; keyHash: string; createdBy: string | null }): Promise<TerminalRow> {
    const rows: TerminalRow[] = await this.db.query(
      `INSERT INTO terminals (town_id, shop_id, name, key_prefix, key_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${TERMINAL_COLUMNS}`,
      [t.townId, t.shopId, t.name, t.keyPrefix, t.keyHash, t.createdBy],
    );
    return rows[0];
  }

  async revokeTerminal(id: string): Promise<void> {
    await this.db.query(`UPDATE terminals SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
  }
}

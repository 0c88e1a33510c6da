import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
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
  requiresClerk: boolean;
}

const TERMINAL_COLUMNS = `id, town_id AS "townId", shop_id AS "shopId", name, key_prefix AS "keyPrefix", key_hash AS "keyHash", created_at AS "createdAt",
  revoked_at AS "revokedAt", requires_clerk AS "requiresClerk"`;

export interface PairingRow {
  id: string;
  townId: string;
  shopId: string;
  terminalName: string;
  createdBy: string;
  expiresAt: Date;
  usedAt: Date | null;
  terminalId: string | null;
}

export interface TerminalProfileRow {
  id: string;
  name: string;
  requiresClerk: boolean;
  shop: { id: string; code: string; name: string };
  villages: Array<{ id: string; name: string }>;
}

@Injectable()
export class AuthRepository {
  constructor(@InjectDataSource() readonly db: DataSource) {}

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

  async revokeFamilyOf(tokenHash: string): Promise<void> {
    await this.db.query(
      `UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
      [tokenHash],
    );
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

  async insertTerminal(
    t: { townId: string; shopId: string; name: string; keyPrefix: string; keyHash: string; createdBy: string | null; requiresClerk?: boolean },
    m: DataSource | EntityManager = this.db,
  ): Promise<TerminalRow> {
    const rows: TerminalRow[] = await m.query(
      `INSERT INTO terminals (town_id, shop_id, name, key_prefix, key_hash, created_by, requires_clerk) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${TERMINAL_COLUMNS}`,
      [t.townId, t.shopId, t.name, t.keyPrefix, t.keyHash, t.createdBy, t.requiresClerk ?? false],
    );
    return rows[0];
  }

  /** The terminal, its shop and the villages the shop serves: what a till shows about itself. */
  async findTerminalProfile(id: string): Promise<TerminalProfileRow | null> {
    return queryOne<TerminalProfileRow>(
      this.db,
      `SELECT t.id, t.name, t.requires_clerk AS "requiresClerk", json_build_object('id', s.id, 'code', s.code, 'name', s.name) AS shop,
              (SELECT coalesce(json_agg(json_build_object('id', v.id, 'name', v.name) ORDER BY v.name), '[]'::json)
                 FROM shop_villages sv JOIN villages v ON v.id = sv.village_id WHERE sv.shop_id = s.id) AS villages
       FROM terminals t JOIN shops s ON s.id = t.shop_id WHERE t.id = $1`,
      [id],
    );
  }

  // ---- pairing codes ----

  async insertPairing(p: { townId: string; shopId: string; terminalName: string; codeHash: string; createdBy: string; ttlMinutes: number }): Promise<{ id: string; expiresAt: Date }> {
    return (await queryOne<{ id: string; expiresAt: Date }>(
      this.db,
      `INSERT INTO terminal_pairings (town_id, shop_id, terminal_name, code_hash, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6)) RETURNING id, expires_at AS "expiresAt"`,
      [p.townId, p.shopId, p.terminalName, p.codeHash, p.createdBy, p.ttlMinutes],
    )) as { id: string; expiresAt: Date };
  }

  /** The pairing with this code hash, locked, so two tills typing the same code cannot both pair. */
  async lockPairingByHash(m: EntityManager, codeHash: string): Promise<(PairingRow & { expired: boolean }) | null> {
    return queryOne<PairingRow & { expired: boolean }>(
      m,
      `SELECT id, town_id AS "townId", shop_id AS "shopId", terminal_name AS "terminalName", created_by AS "createdBy", expires_at AS "expiresAt",
              used_at AS "usedAt", terminal_id AS "terminalId", expires_at <= now() AS expired
       FROM terminal_pairings WHERE code_hash = $1 FOR UPDATE`,
      [codeHash],
    );
  }

  async markPairingUsed(m: EntityManager, id: string, terminalId: string): Promise<void> {
    await m.query(`UPDATE terminal_pairings SET used_at = now(), terminal_id = $2 WHERE id = $1`, [id, terminalId]);
  }

  async revokeTerminal(id: string): Promise<void> {
    await this.db.query(`UPDATE terminals SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
  }
}

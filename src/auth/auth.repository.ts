import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { prepared, queryOne } from '@app/database/sql';
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
  mustChangePassword: boolean;
}

/** What the guard re-checks on every staff request against the claims in the token. */
export interface LiveSessionRow {
  username: string;
  displayName: string;
  active: boolean;
  role: Role;
  townId: string;
  villageId: string | null;
  shopId: string | null;
  mustChangePassword: boolean;
}

/** A village or a shop and its town: what the scope checks compare with the principal. */
export interface VillageRef {
  id: string;
  townId: string;
}

export type SessionEndReason = 'logout' | 'refresh_reuse' | 'deactivated' | 'password_changed';

// Every staff request runs this: two primary-key lookups, prepared once per connection.
const LIVE_SESSION = prepared(
  `SELECT u.username, u.display_name AS "displayName", u.active, u.role, u.town_id AS "townId", u.village_id AS "villageId", u.shop_id AS "shopId", u.must_change_password AS "mustChangePassword"
   FROM staff_sessions s JOIN staff_users u ON u.id = s.staff_id
   WHERE s.id = $1 AND s.staff_id = $2 AND s.ended_at IS NULL`,
);

const STAFF_COLUMNS = `id, username, display_name AS "displayName", password_hash AS "passwordHash", role, town_id AS "townId",
  village_id AS "villageId", shop_id AS "shopId", active, must_change_password AS "mustChangePassword"`;

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
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction (the feature's only way to open one). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  villageRef(villageId: string): Promise<VillageRef | null> {
    return queryOne<VillageRef>(this.db, `SELECT id, town_id AS "townId" FROM villages WHERE id = $1`, [villageId]);
  }

  shopRef(shopId: string): Promise<VillageRef | null> {
    return queryOne<VillageRef>(this.db, `SELECT id, town_id AS "townId" FROM shops WHERE id = $1`, [shopId]);
  }

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

  async insertStaff(s: Omit<StaffRow, 'id' | 'active' | 'mustChangePassword'> & { mustChangePassword?: boolean }): Promise<StaffRow> {
    const rows: StaffRow[] = await this.db.query(
      `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, village_id, shop_id, must_change_password)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${STAFF_COLUMNS}`,
      [s.username, s.displayName, s.passwordHash, s.role, s.townId, s.villageId, s.shopId, s.mustChangePassword ?? false],
    );
    return rows[0];
  }

  /** Deactivating also ends every session of the user (one statement): reactivation revives none. */
  async setStaffActive(id: string, active: boolean): Promise<void> {
    await this.db.query(
      `WITH u AS (UPDATE staff_users SET active = $2 WHERE id = $1),
            s AS (UPDATE staff_sessions SET ended_at = now(), end_reason = 'deactivated' WHERE NOT $2 AND staff_id = $1 AND ended_at IS NULL),
            r AS (UPDATE refresh_tokens SET revoked_at = now() WHERE NOT $2 AND staff_id = $1 AND revoked_at IS NULL)
       SELECT 1`,
      [id, active],
    );
  }

  /**
   * A one-time password set by a town admin: the user must change it at the next login, and
   * every session of the user ends in the same statement (whoever knew the old password is out).
   */
  async resetPassword(staffId: string, passwordHash: string): Promise<void> {
    await this.db.query(
      `WITH u AS (UPDATE staff_users SET password_hash = $2, must_change_password = true WHERE id = $1),
            s AS (UPDATE staff_sessions SET ended_at = now(), end_reason = 'password_reset' WHERE staff_id = $1 AND ended_at IS NULL),
            r AS (UPDATE refresh_tokens SET revoked_at = now() WHERE staff_id = $1 AND revoked_at IS NULL)
       SELECT 1`,
      [staffId, passwordHash],
    );
  }

  /**
   * Starts a session at login. With `rehash`, the same statement also replaces the stored password
   * hash (checked at login, made with older argon2 parameters) by one with the current parameters,
   * only if it is still the hash that was checked: a password changed meanwhile is not overwritten.
   */
  async startSession(id: string, staffId: string, rehash?: { from: string; to: string }): Promise<void> {
    if (!rehash) {
      await this.db.query(`INSERT INTO staff_sessions (id, staff_id) VALUES ($1, $2)`, [id, staffId]);
      return;
    }
    await this.db.query(
      `WITH u AS (UPDATE staff_users SET password_hash = $4 WHERE id = $2 AND password_hash = $3)
       INSERT INTO staff_sessions (id, staff_id) VALUES ($1, $2)`,
      [id, staffId, rehash.from, rehash.to],
    );
  }

  /** The session `sessionId` of `staffId` if it has not ended, with the user's current role and scope. */
  async findLiveSession(sessionId: string, staffId: string): Promise<LiveSessionRow | null> {
    return queryOne<LiveSessionRow>(this.db, LIVE_SESSION, [sessionId, staffId]);
  }

  /**
   * New password, every session of the user ended and one new session started, in one
   * transaction: a password changed while an old session (maybe the thief's) lives on, or
   * sessions ended with the old password still in place, would both be worse than either.
   */
  async replacePassword(staffId: string, passwordHash: string, newSessionId: string): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(`UPDATE staff_users SET password_hash = $2, must_change_password = false WHERE id = $1`, [staffId, passwordHash]);
      await m.query(`UPDATE staff_sessions SET ended_at = now(), end_reason = 'password_changed' WHERE staff_id = $1 AND ended_at IS NULL`, [staffId]);
      await m.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE staff_id = $1 AND revoked_at IS NULL`, [staffId]);
      await m.query(`INSERT INTO staff_sessions (id, staff_id) VALUES ($1, $2)`, [newSessionId, staffId]);
    });
  }

  /**
   * Counts a login attempt for (username, client) before its password is checked, unless that
   * pair is blocked: one atomic upsert, so concurrent guesses cannot all slip through before the
   * first one sets the block. After `free` attempts each one blocks the pair for
   * base·2^(n−free−1) seconds, at most `maxSeconds`; a count idle for a day starts again.
   * Returns the new count, or null when the pair is blocked (nothing counted then).
   */
  async chargeLoginAttempt(username: string, client: string, p: { free: number; baseSeconds: number; maxSeconds: number }): Promise<number | null> {
    const row = await queryOne<{ failures: number }>(
      this.db,
      `INSERT INTO login_failures AS f (username, client, failures, last_failed_at, blocked_until)
       VALUES ($1, $2, 1, now(), CASE WHEN 1 > $3::int THEN now() + make_interval(secs => least($5::float8, $4::float8)) END)
       ON CONFLICT (username, client) DO UPDATE SET
         failures = CASE WHEN f.last_failed_at < now() - interval '1 day' THEN 1 ELSE f.failures + 1 END,
         last_failed_at = now(),
         blocked_until = CASE WHEN f.last_failed_at >= now() - interval '1 day' AND f.failures + 1 > $3::int
           THEN now() + make_interval(secs => least($5::float8, $4::float8 * power(2, f.failures + 1 - $3::int - 1))) END
       WHERE f.blocked_until IS NULL OR f.blocked_until <= now()
       RETURNING failures`,
      [username, client, p.free, p.baseSeconds, p.maxSeconds],
    );
    return row?.failures ?? null;
  }

  /** After a failed check: the block runs from now, not from when the attempt was counted. */
  async extendLoginBlock(username: string, client: string, seconds: number): Promise<void> {
    await this.db.query(
      `UPDATE login_failures SET blocked_until = greatest(blocked_until, now() + make_interval(secs => $3::float8)) WHERE username = $1 AND client = $2`,
      [username, client, seconds],
    );
  }

  /** Seconds until (username, client) may try again; 0 when not blocked. */
  async loginBlockedForSeconds(username: string, client: string): Promise<number> {
    const row = await queryOne<{ s: number }>(
      this.db,
      `SELECT greatest(0, ceil(extract(epoch FROM blocked_until - now())))::int AS s FROM login_failures WHERE username = $1 AND client = $2`,
      [username, client],
    );
    return row?.s ?? 0;
  }

  async clearLoginFailures(username: string, client: string): Promise<void> {
    await this.db.query(`DELETE FROM login_failures WHERE username = $1 AND client = $2`, [username, client]);
  }

  /** Counts idle for a day are reset anyway on the next attempt; drop them so the table stays small. */
  async pruneLoginFailures(): Promise<void> {
    await this.db.query(`DELETE FROM login_failures WHERE last_failed_at < now() - interval '1 day'`);
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

  /** Ends the session a refresh token belongs to: its whole token family and its access tokens. Returns whose it was (null for a token never issued). */
  async endSessionOf(tokenHash: string, reason: SessionEndReason): Promise<string | null> {
    await this.db.query(
      `WITH f AS (SELECT family_id FROM refresh_tokens WHERE token_hash = $1),
            r AS (UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM f))
       UPDATE staff_sessions SET ended_at = now(), end_reason = $2 WHERE id = (SELECT family_id FROM f) AND ended_at IS NULL`,
      [tokenHash, reason],
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

  async insertPairing(
    p: { townId: string; shopId: string; terminalName: string; codeHash: string; createdBy: string; ttlMinutes: number },
    m: EntityManager = this.db.manager,
  ): Promise<{ id: string; expiresAt: Date }> {
    return (await queryOne<{ id: string; expiresAt: Date }>(
      m,
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

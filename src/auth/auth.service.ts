import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditService } from '@app/audit/audit.service';
import { AppError } from '@app/common/errors/app-error';
import { TtlCache } from '@app/common/ttl-cache';
import { AppConfig } from '@app/config/app-config';
import { apiKeyMatches, parseApiKey, sha256 } from './api-key';
import type { Role } from './auth.entities';
import { AuthRepository, type StaffRow } from './auth.repository';
import type { StaffPrincipal, TerminalPrincipal, TillClerk } from './principal';

/** Failed logins before the account locks, and for how long. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_LOCK_SECONDS = 15 * 60;
/** How long a verified terminal key is remembered, and how many at most. */
export const API_KEY_CACHE_MS = 5_000;
export const API_KEY_CACHE_MAX = 10_000;
/**
 * How long "this staff user is still active" is remembered per api process. A deactivated
 * user's access token stops working at once in the process that deactivated them, and in
 * others within this long (not at the token's expiry, up to JWT_ACCESS_TTL_SECONDS later).
 */
export const STAFF_ACTIVE_CACHE_MS = 5_000;

interface AccessClaims {
  sub: string;
  usr: string;
  role: Role;
  town: string;
  vil: string | null;
  shop: string | null;
  typ: 'access';
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

@Injectable()
export class AuthService {
  private readonly apiKeys = new Map<string, { principal: TerminalPrincipal; until: number }>();
  private readonly activeStaff = new TtlCache<boolean>(STAFF_ACTIVE_CACHE_MS, 10_000);

  constructor(
    private readonly repo: AuthRepository,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  static hashPassword(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async login(username: string, password: string, requestId: string): Promise<TokenPair & { user: ReturnType<AuthService['describe']> }> {
    const user = await this.repo.findStaffByUsername(username);
    if (!user) {
      // Same work as a real check, so timing does not reveal which usernames exist.
      await argon2.verify(DUMMY_HASH, password).catch(() => false);
      throw new AppError('AUTH.INVALID_CREDENTIALS');
    }
    if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
      throw new AppError('AUTH.ACCOUNT_LOCKED', undefined, { lockedUntil: user.lockedUntil.toISOString() });
    }
    if (!(await argon2.verify(user.passwordHash, password))) {
      const after = await this.repo.recordFailedLogin(user.id, LOGIN_MAX_FAILURES, LOGIN_LOCK_SECONDS);
      const ctx = { principal: this.principalOf(user), requestId };
      await this.audit.record(ctx, { action: 'auth.login_failed', targetType: 'staff', targetId: user.id, summary: { failedLogins: after.failedLogins } });
      if (after.lockedUntil && after.lockedUntil.getTime() > Date.now()) {
        throw new AppError('AUTH.ACCOUNT_LOCKED', undefined, { lockedUntil: after.lockedUntil.toISOString() });
      }
      throw new AppError('AUTH.INVALID_CREDENTIALS');
    }
    if (!user.active) throw new AppError('AUTH.ACCOUNT_DISABLED');
    await this.repo.resetFailedLogins(user.id);
    const tokens = await this.issue(user, randomUUID());
    return { ...tokens, user: this.describe(user) };
  }

  /** Rotates a refresh token; presenting an already used one revokes its whole family. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const hash = sha256(refreshToken);
    const consumed = await this.repo.consumeRefreshToken(hash);
    if (consumed === 'reused') {
      await this.repo.revokeFamilyOf(hash);
      throw new AppError('AUTH.INVALID_TOKEN');
    }
    if (!consumed || consumed.expiresAt.getTime() <= Date.now()) throw new AppError('AUTH.INVALID_TOKEN');
    const user = await this.repo.findStaffById(consumed.staffId);
    if (!user || !user.active) throw new AppError('AUTH.INVALID_TOKEN');
    return this.issue(user, consumed.familyId);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.repo.revokeFamilyOf(sha256(refreshToken));
  }

  async verifyAccessToken(token: string): Promise<StaffPrincipal> {
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new AppError('AUTH.INVALID_TOKEN');
    }
    if (claims.typ !== 'access') throw new AppError('AUTH.INVALID_TOKEN');
    const active = await this.activeStaff.get(claims.sub, async () => (await this.repo.findStaffById(claims.sub))?.active === true);
    if (!active) throw new AppError('AUTH.INVALID_TOKEN');
    return { kind: 'staff', id: claims.sub, username: claims.usr, role: claims.role, townId: claims.town, villageId: claims.vil, shopId: claims.shop };
  }

  /**
   * Terminal keys are checked on every till request, so a verified key is remembered for
   * API_KEY_CACHE_MS. Revoking clears it here at once; another api replica may accept a revoked
   * key for at most that long.
   */
  async verifyApiKey(key: string): Promise<TerminalPrincipal> {
    const cached = this.apiKeys.get(key);
    if (cached && cached.until > Date.now()) return cached.principal;
    const parsed = parseApiKey(key);
    if (!parsed) throw new AppError('AUTH.INVALID_API_KEY');
    const t = await this.repo.findTerminalByPrefix(parsed.prefix);
    if (!t || t.revokedAt || !apiKeyMatches(key, t.keyHash)) throw new AppError('AUTH.INVALID_API_KEY');
    const principal: TerminalPrincipal = { kind: 'terminal', id: t.id, townId: t.townId, shopId: t.shopId, name: t.name, requiresClerk: t.requiresClerk };
    if (this.apiKeys.size >= API_KEY_CACHE_MAX) this.apiKeys.clear();
    this.apiKeys.set(key, { principal, until: Date.now() + API_KEY_CACHE_MS });
    return principal;
  }

  /**
   * The shop clerk signed in at a till: a valid access token of an active shop clerk of the
   * terminal's shop. The staff row is read every time (one primary-key read), not taken from the
   * token: a clerk moved to another shop stops selling here at once, and the receipt carries the
   * clerk's current name.
   */
  async verifyClerk(token: string, t: TerminalPrincipal): Promise<TillClerk> {
    const claims = await this.verifyAccessToken(token);
    if (claims.role !== 'shop_clerk') throw new AppError('AUTH.OUT_OF_SCOPE', CLERK_NOT_OF_SHOP);
    const row = await this.repo.findStaffById(claims.id);
    if (!row || !row.active) throw new AppError('AUTH.INVALID_TOKEN');
    if (row.role !== 'shop_clerk' || row.shopId !== t.shopId || row.townId !== t.townId) throw new AppError('AUTH.OUT_OF_SCOPE', CLERK_NOT_OF_SHOP);
    return { id: row.id, username: row.username, displayName: row.displayName };
  }

  /** After a deactivation (or reactivation): this process asks the database again at once. */
  forgetStaff(staffId: string): void {
    this.activeStaff.delete(staffId);
  }

  forgetTerminal(terminalId: string): void {
    for (const [k, v] of this.apiKeys) if (v.principal.id === terminalId) this.apiKeys.delete(k);
  }

  principalOf(u: StaffRow): StaffPrincipal {
    return { kind: 'staff', id: u.id, username: u.username, role: u.role, townId: u.townId, villageId: u.villageId, shopId: u.shopId };
  }

  describe(u: StaffRow) {
    return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, townId: u.townId, villageId: u.villageId, shopId: u.shopId };
  }

  private async issue(user: StaffRow, familyId: string): Promise<TokenPair> {
    const ttl = this.config.get('JWT_ACCESS_TTL_SECONDS');
    const claims: AccessClaims = { sub: user.id, usr: user.username, role: user.role, town: user.townId, vil: user.villageId, shop: user.shopId, typ: 'access' };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: ttl, algorithm: 'HS256' });
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.get('JWT_REFRESH_TTL_SECONDS') * 1000);
    await this.repo.insertRefreshToken(user.id, sha256(refreshToken), familyId, expiresAt);
    return { accessToken, refreshToken, expiresIn: ttl, tokenType: 'Bearer' };
  }
}

const CLERK_NOT_OF_SHOP = '登录的账号不是本终端所属超市的店员 / the signed-in user is not a clerk of this terminal’s shop';

// argon2id hash of a random string, verified against when the username does not exist.
const DUMMY_HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$2Wq3mU4sK1oQ8l3fX0m7yq0m3Jk1cT2m9y1x7lV0b3Q';

import { Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditService } from '@app/audit/audit.service';
import { AppError } from '@app/common/errors/app-error';
import { FreshRead } from '@app/common/fresh-read';
import { Gate } from '@app/common/tabular/upload-gate';
import { AppConfig } from '@app/config/app-config';
import { SharedRedis } from '@app/shared-state/shared-redis';
import { apiKeyMatches, parseApiKey, sha256 } from './api-key';
import type { Role } from './auth.entities';
import { AuthRepository, type LiveSessionRow, type StaffRow } from './auth.repository';
import type { PublicContext, RequestContext, StaffPrincipal, TerminalPrincipal, TillClerk } from './principal';

/**
 * Parameters of every new password hash (staff created, password changed or reset, seeds):
 * argon2id with m = 19 MiB, t = 2, p = 1, OWASP's password storage cheat sheet's minimum
 * configuration for argon2id. A hash made with other parameters (the library's defaults,
 * m = 64 MiB, t = 3, p = 4, before 2026-12) still verifies, and is rewritten with these at the
 * next successful login (`AuthService.login`).
 */
export const PASSWORD_HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A stored hash that is not argon2id with PASSWORD_HASH_OPTIONS (older parameters). */
export function passwordNeedsRehash(hash: string): boolean {
  if (!hash.startsWith('$argon2id$')) return true;
  const { memoryCost, timeCost, parallelism } = PASSWORD_HASH_OPTIONS;
  return argon2.needsRehash(hash, { memoryCost, timeCost, parallelism });
}

/**
 * argon2 takes its memory cost (19 MiB now, 64 MiB for hashes made before) for each hash or
 * check, outside the heap (the api's heap cap does not bound it), for the fraction of a second it
 * runs: four logins at once were 256 MB on top of the api's resident memory with the old
 * parameters, one was the api's peak in the upload benchmark (docs/PERFORMANCE.md, "Upload memory"). One at a
 * time per process, in arrival order, as uploads are (UPLOAD_GATE).
 */
export const PASSWORD_GATE = new Gate(1);

const verifyPassword = (hash: string, password: string): Promise<boolean> => PASSWORD_GATE.run(() => argon2.verify(hash, password));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Failed logins per (username, client address): the first LOGIN_FREE_ATTEMPTS cost nothing, each
 * one after blocks that pair for 1, 2, 4, … seconds, at most 15 minutes (100 guesses ≈ 22 hours).
 * Never the account as a whole: the real user on another client logs in as usual.
 */
export const LOGIN_THROTTLE = { free: 3, baseSeconds: 1, maxSeconds: 15 * 60 } as const;
/** How long a verified terminal key is remembered, and how many at most. */
export const API_KEY_CACHE_MS = 5_000;
export const API_KEY_CACHE_MAX = 10_000;

interface AccessClaims {
  sub: string;
  usr: string;
  role: Role;
  town: string;
  vil: string | null;
  shop: string | null;
  /** The session (staff_sessions.id = refresh-token family id), checked on every request. */
  sid: string;
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
  private readonly logger = new Logger(AuthService.name);
  /** `generation`: the terminal revocation generation when the key was verified; null if Redis did not answer. */
  private readonly apiKeys = new Map<string, { principal: TerminalPrincipal; until: number; generation: string | null }>();

  constructor(
    private readonly repo: AuthRepository,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly redis: SharedRedis,
  ) {}

  static hashPassword(password: string): Promise<string> {
    return PASSWORD_GATE.run(() => argon2.hash(password, PASSWORD_HASH_OPTIONS));
  }

  async login(
    username: string,
    password: string,
    ctx: PublicContext,
  ): Promise<TokenPair & { user: ReturnType<AuthService['describe']>; mustChangePassword: boolean }> {
    // Counted before the password is checked, so parallel guesses cannot outrun the block.
    const attempt = await this.repo.chargeLoginAttempt(username, ctx.clientIp, LOGIN_THROTTLE);
    if (attempt === null) throw this.throttled(await this.repo.loginBlockedForSeconds(username, ctx.clientIp));
    const user = await this.repo.findStaffByUsername(username);
    const ok = user
      ? await verifyPassword(user.passwordHash, password)
      : // Same work as a real check, so timing does not reveal which usernames exist.
        await verifyPassword(DUMMY_HASH, password).catch(() => false);
    if (!user || !ok) {
      await this.loginFailed(username, user, attempt, ctx);
      throw new AppError('AUTH.INVALID_CREDENTIALS');
    }
    if (!user.active) throw new AppError('AUTH.ACCOUNT_DISABLED');
    await this.repo.clearLoginFailures(username, ctx.clientIp);
    // A hash made with older parameters is replaced now, while the password is at hand.
    const rehash = passwordNeedsRehash(user.passwordHash) ? { from: user.passwordHash, to: await AuthService.hashPassword(password) } : undefined;
    const sessionId = randomUUID();
    await this.repo.startSession(sessionId, user.id, rehash);
    const tokens = await this.issue(user, sessionId);
    await this.audit.record(
      { principal: this.principalOf(user), requestId: ctx.requestId },
      { action: 'auth.login', targetType: 'staff', targetId: user.id, ...(rehash ? { summary: { passwordRehashed: true } } : {}) },
    );
    return { ...tokens, user: this.describe(user), mustChangePassword: user.mustChangePassword };
  }

  private async loginFailed(username: string, user: StaffRow | null, attempt: number, ctx: PublicContext): Promise<void> {
    if (user) {
      await this.audit.recordPublic(ctx, user.townId, { action: 'auth.login_failed', targetType: 'staff', targetId: user.id, summary: { attempt, client: ctx.clientIp } });
    }
    if (attempt > LOGIN_THROTTLE.free) {
      const blockedForSeconds = Math.min(LOGIN_THROTTLE.maxSeconds, LOGIN_THROTTLE.baseSeconds * 2 ** (attempt - LOGIN_THROTTLE.free - 1));
      await this.repo.extendLoginBlock(username, ctx.clientIp, blockedForSeconds);
      this.logger.warn({ username, client: ctx.clientIp, attempt, blockedForSeconds, knownUser: Boolean(user), requestId: ctx.requestId }, 'repeated failed logins');
    }
    if (Math.random() < 0.01) await this.repo.pruneLoginFailures();
  }

  private throttled(seconds: number): AppError {
    const retryAfterSeconds = Math.max(1, seconds);
    return new AppError('AUTH.LOGIN_THROTTLED', undefined, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
  }

  /** Rotates a refresh token; presenting an already used one revokes its whole family. */
  async refresh(refreshToken: string, requestId: string): Promise<TokenPair> {
    const hash = sha256(refreshToken);
    const consumed = await this.repo.consumeRefreshToken(hash);
    if (consumed === 'reused') {
      // A used token presented again: stolen or replayed. The whole session ends, access tokens too.
      const staffId = await this.repo.endSessionOf(hash, 'refresh_reuse');
      // Worth a row: it logs the owner out of that session. The row belongs to the owner's town
      // (audit_log.town_id is NOT NULL: the log is distributed by town).
      const owner = staffId ? await this.repo.findStaffById(staffId) : null;
      if (owner) await this.audit.record(null, { action: 'auth.refresh_reused', targetType: 'staff', targetId: owner.id, townId: owner.townId, summary: { requestId } });
      throw new AppError('AUTH.INVALID_TOKEN');
    }
    if (!consumed || consumed.expiresAt.getTime() <= Date.now()) throw new AppError('AUTH.INVALID_TOKEN');
    const user = await this.repo.findStaffById(consumed.staffId);
    if (!user || !user.active || !(await this.repo.findLiveSession(consumed.familyId, user.id))) throw new AppError('AUTH.INVALID_TOKEN');
    const tokens = await this.issue(user, consumed.familyId);
    await this.audit.record({ principal: this.principalOf(user), requestId }, { action: 'auth.refresh', targetType: 'staff', targetId: user.id });
    return tokens;
  }

  /** Ends the session: its refresh tokens and, from the next request on, its access tokens. */
  async logout(refreshToken: string, requestId: string): Promise<void> {
    const staffId = await this.repo.endSessionOf(sha256(refreshToken), 'logout');
    const user = staffId ? await this.repo.findStaffById(staffId) : null;
    if (user) await this.audit.record({ principal: this.principalOf(user), requestId }, { action: 'auth.logout', targetType: 'staff', targetId: user.id });
  }

  /**
   * Sets a new password (clearing a one-time password's must-change flag), ends every session of
   * the user, other devices included, and answers with the tokens of a new session.
   */
  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<TokenPair> {
    const user = await this.repo.findStaffById(ctx.principal.id);
    if (!user || !user.active) throw new AppError('AUTH.INVALID_TOKEN');
    if (!(await verifyPassword(user.passwordHash, currentPassword))) throw new AppError('AUTH.WRONG_PASSWORD');
    if (currentPassword === newPassword) throw new AppError('AUTH.PASSWORD_UNCHANGED');
    const sessionId = randomUUID();
    await this.repo.replacePassword(user.id, await AuthService.hashPassword(newPassword), sessionId);
    await this.audit.record(ctx, { action: 'auth.password_change', targetType: 'staff', targetId: user.id, summary: { wasOneTime: user.mustChangePassword } });
    return this.issue(user, sessionId);
  }

  /**
   * Signature and expiry from the token; then, on every request, one prepared primary-key lookup
   * that the session is live and the user still active with the role and scope the token names
   * (a role change or deactivation takes effect at once, not at the token's expiry). A user with a
   * one-time password may only reach routes marked for it (`duringPasswordChange`).
   */
  async verifyAccessToken(token: string, opts: { duringPasswordChange?: boolean } = {}): Promise<StaffPrincipal> {
    return (await this.liveSession(token, opts)).principal;
  }

  /** The token's claims checked against its live session and the user's row as it is now. */
  private async liveSession(token: string, opts: { duringPasswordChange?: boolean } = {}): Promise<{ principal: StaffPrincipal; live: LiveSessionRow }> {
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new AppError('AUTH.INVALID_TOKEN');
    }
    if (claims.typ !== 'access' || typeof claims.sid !== 'string' || !UUID.test(claims.sid)) throw new AppError('AUTH.INVALID_TOKEN');
    const live = await this.repo.findLiveSession(claims.sid, claims.sub);
    if (!live || !live.active || live.role !== claims.role || live.townId !== claims.town || live.villageId !== claims.vil || live.shopId !== claims.shop) {
      throw new AppError('AUTH.INVALID_TOKEN');
    }
    if (live.mustChangePassword && !opts.duringPasswordChange) throw new AppError('AUTH.PASSWORD_CHANGE_REQUIRED');
    return { principal: { kind: 'staff', id: claims.sub, username: claims.usr, role: claims.role, townId: claims.town, villageId: claims.vil, shopId: claims.shop }, live };
  }

  /**
   * Terminal keys are checked on every till request, so a verified key is remembered for
   * API_KEY_CACHE_MS, but only while the terminal revocation generation in Redis is the one it
   * was verified under: a revocation in any api process bumps it (forgetTerminal), and every
   * process re-checks its keys against the database on the next request. That costs one Redis GET
   * per till request (shared by concurrent ones, revocationGeneration) instead of a database lookup. While Redis does not answer, a cached key lives
   * out its API_KEY_CACHE_MS (per process) and the till keeps selling.
   */
  async verifyApiKey(key: string): Promise<TerminalPrincipal> {
    // Read before the database: a revocation committed after this read bumps the generation
    // after its commit, so a key verified here against the old row is dropped on the next request.
    const generation = await this.revocationGeneration();
    const cached = this.apiKeys.get(key);
    if (cached && cached.until > Date.now() && (generation === undefined || cached.generation === generation)) return cached.principal;
    const parsed = parseApiKey(key);
    if (!parsed) throw new AppError('AUTH.INVALID_API_KEY');
    const t = await this.repo.findTerminalByPrefix(parsed.prefix);
    if (!t || t.revokedAt || !apiKeyMatches(key, t.keyHash)) throw new AppError('AUTH.INVALID_API_KEY');
    const principal: TerminalPrincipal = { kind: 'terminal', id: t.id, townId: t.townId, shopId: t.shopId, name: t.name, requiresClerk: t.requiresClerk };
    if (this.apiKeys.size >= API_KEY_CACHE_MAX) this.apiKeys.clear();
    this.apiKeys.set(key, { principal, until: Date.now() + API_KEY_CACHE_MS, generation: generation ?? null });
    return principal;
  }

  /**
   * The shop clerk signed in at a till: a valid access token of an active shop clerk of the
   * terminal's shop. The staff row is read every time, not taken from the token (in the same
   * statement as the session, so a till request costs one lookup for both): a clerk moved to
   * another shop stops selling here at once, and the receipt carries the clerk's current name.
   */
  async verifyClerk(token: string, t: TerminalPrincipal): Promise<TillClerk> {
    const { principal, live } = await this.liveSession(token);
    if (live.role !== 'shop_clerk' || live.shopId !== t.shopId || live.townId !== t.townId) throw new AppError('AUTH.OUT_OF_SCOPE', CLERK_NOT_OF_SHOP);
    return { id: principal.id, username: live.username, displayName: live.displayName };
  }

  /** After the revocation's commit: this process drops the key now, every other one on its next request. */
  async forgetTerminal(terminalId: string): Promise<void> {
    for (const [k, v] of this.apiKeys) if (v.principal.id === terminalId) this.apiKeys.delete(k);
    await this.redis.run((c) => c.incr(this.revocationKey()));
  }

  /**
   * undefined when Redis does not answer. Concurrent till requests share a GET, but only one sent
   * after each of them arrived (FreshRead): a revocation bumped before a request came in is always
   * seen by it, as with a GET of its own.
   */
  private revocationGeneration(): Promise<string | undefined> {
    return this.generationRead.get();
  }

  private readonly generationRead = new FreshRead(async (): Promise<string | undefined> => {
    const value = await this.redis.run((c) => c.get(this.revocationKey()));
    return value === undefined ? undefined : (value ?? '0');
  });

  private revocationKey(): string {
    return this.redis.key('terminal-revocations');
  }

  principalOf(u: StaffRow): StaffPrincipal {
    return { kind: 'staff', id: u.id, username: u.username, role: u.role, townId: u.townId, villageId: u.villageId, shopId: u.shopId };
  }

  describe(u: StaffRow) {
    return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, townId: u.townId, villageId: u.villageId, shopId: u.shopId };
  }

  /** Tokens of session `sessionId`: the refresh-token family id is the session id. */
  private async issue(user: StaffRow, sessionId: string): Promise<TokenPair> {
    const familyId = sessionId;
    const ttl = this.config.get('JWT_ACCESS_TTL_SECONDS');
    const claims: AccessClaims = {
      sub: user.id,
      usr: user.username,
      role: user.role,
      town: user.townId,
      vil: user.villageId,
      shop: user.shopId,
      sid: sessionId,
      typ: 'access',
    };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: ttl, algorithm: 'HS256' });
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.get('JWT_REFRESH_TTL_SECONDS') * 1000);
    await this.repo.insertRefreshToken(user.id, sha256(refreshToken), familyId, expiresAt);
    return { accessToken, refreshToken, expiresIn: ttl, tokenType: 'Bearer' };
  }
}

const CLERK_NOT_OF_SHOP = '登录的账号不是本终端所属超市的店员 / the signed-in user is not a clerk of this terminal’s shop';

// argon2id hash (PASSWORD_HASH_OPTIONS) of a random string, verified against when the username
// does not exist: the same work as checking a current hash.
const DUMMY_HASH = '$argon2id$v=19$m=19456,p=1,t=2$FUYLIXEo3P8EOSNUDjQ/NA$iyrRvVBvRsJVmX7P3ZwwcRCEqVrPZOdiEr+K76JQ7sU';

import { JwtService } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRepository } from '@app/auth/auth.repository';
import { startStack, type TestStack } from '../support/app';
import { FIXTURE_PASSWORD, seedTown, type TownFixture } from '../support/fixtures';

/**
 * Logout, deactivation, a password change and a role change end what they should at once:
 * the access tokens of the ended session are refused on the very next request (they used to
 * work until they expired, up to JWT_ACCESS_TTL_SECONDS later).
 */
describe('sessions: access tokens die with their session', () => {
  let stack: TestStack;
  let f: TownFixture;

  type Session = { access: string; refresh: string };
  const login = async (username: string, password = FIXTURE_PASSWORD): Promise<Session> => {
    const res = await request(stack.http).post('/api/v1/auth/login').send({ username, password }).expect(200);
    return { access: `Bearer ${res.body.accessToken}`, refresh: res.body.refreshToken };
  };
  const auditLog = (s: Session) => request(stack.http).get('/api/v1/audit/log').set('authorization', s.access);
  const me = (s: Session) => request(stack.http).get('/api/v1/auth/me').set('authorization', s.access);

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => stack?.close());

  it('logout: the old access token is refused at once, the refresh token too; another session lives on', async () => {
    const a = await login(f.users.auditor.username);
    const b = await login(f.users.auditor.username);
    await auditLog(a).expect(200);
    await request(stack.http).post('/api/v1/auth/logout').send({ refreshToken: a.refresh }).expect(204);
    expect((await auditLog(a).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    expect((await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: a.refresh }).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    await auditLog(b).expect(200);
    const [row] = await stack.db.query(`SELECT end_reason FROM staff_sessions WHERE staff_id = $1 AND ended_at IS NOT NULL`, [f.users.auditor.id]);
    expect(row.end_reason).toBe('logout');
  });

  it('a refreshed token belongs to the same session: logout with the newest refresh token ends every access token of it', async () => {
    const a = await login(f.users.auditor.username);
    const r = await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: a.refresh }).expect(200);
    const a2: Session = { access: `Bearer ${r.body.accessToken}`, refresh: r.body.refreshToken };
    await auditLog(a).expect(200);
    await auditLog(a2).expect(200);
    await request(stack.http).post('/api/v1/auth/logout').send({ refreshToken: a2.refresh }).expect(204);
    await auditLog(a).expect(401);
    await auditLog(a2).expect(401);
  });

  it('a reused refresh token (theft) ends the session, access tokens included', async () => {
    const a = await login(f.users.auditor.username);
    await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: a.refresh }).expect(200);
    await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: a.refresh }).expect(401);
    expect((await auditLog(a).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
  });

  it('deactivation refuses every session at once; reactivation revives none, a new login works', async () => {
    const admin = await login(f.users.town_admin.username);
    const a = await login(f.users.village_reviewer.username);
    const b = await login(f.users.village_reviewer.username);
    await me(a).expect(200);
    await request(stack.http).post(`/api/v1/staff/${f.users.village_reviewer.id}/deactivate`).set('authorization', admin.access).expect(200);
    for (const s of [a, b]) expect((await me(s).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: b.refresh }).expect(401);
    await request(stack.http).post(`/api/v1/staff/${f.users.village_reviewer.id}/activate`).set('authorization', admin.access).expect(200);
    for (const s of [a, b]) await me(s).expect(401);
    await me(await login(f.users.village_reviewer.username)).expect(200);
  });

  it('a password change ends every session (other devices too), answers with a new one; the old password is dead', async () => {
    const user = f.users.village_clerk.username;
    const a = await login(user);
    const b = await login(user);
    const wrong = await request(stack.http).post('/api/v1/auth/password').set('authorization', a.access).send({ currentPassword: 'not-the-password', newPassword: 'a-new-password-1' }).expect(400);
    expect(wrong.body.code).toBe('AUTH.WRONG_PASSWORD');
    const same = await request(stack.http).post('/api/v1/auth/password').set('authorization', a.access).send({ currentPassword: FIXTURE_PASSWORD, newPassword: FIXTURE_PASSWORD }).expect(400);
    expect(same.body.code).toBe('AUTH.PASSWORD_UNCHANGED');
    await me(a).expect(200); // refused attempts change nothing
    const res = await request(stack.http).post('/api/v1/auth/password').set('authorization', a.access).send({ currentPassword: FIXTURE_PASSWORD, newPassword: 'a-new-password-1' }).expect(200);
    for (const s of [a, b]) expect((await me(s).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: b.refresh }).expect(401);
    await me({ access: `Bearer ${res.body.accessToken}`, refresh: res.body.refreshToken }).expect(200);
    await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: res.body.refreshToken }).expect(200);
    expect((await request(stack.http).post('/api/v1/auth/login').send({ username: user, password: FIXTURE_PASSWORD }).expect(401)).body.code).toBe('AUTH.INVALID_CREDENTIALS');
    await login(user, 'a-new-password-1');
    const [audit] = await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.password_change' AND target_id = $1`, [f.users.village_clerk.id]);
    expect(audit.n).toBe(1);
  });

  it('a role or scope change takes effect at once: the token naming the old role is refused; a refresh carries the new one', async () => {
    const clerk = await login(f.users.clerk_b.username);
    const entries = (s: Session) => request(stack.http).get(`/api/v1/villages/${f.villageB}/entries`).set('authorization', s.access);
    await entries(clerk).expect(200);
    await stack.db.query(`UPDATE staff_users SET role = 'village_reviewer' WHERE id = $1`, [f.users.clerk_b.id]);
    expect((await entries(clerk).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    const r = await request(stack.http).post('/api/v1/auth/refresh').send({ refreshToken: clerk.refresh }).expect(200);
    const reviewer: Session = { access: `Bearer ${r.body.accessToken}`, refresh: r.body.refreshToken };
    expect((await me(reviewer).expect(200)).body.role).toBe('village_reviewer');
    await stack.db.query(`UPDATE staff_users SET village_id = $2 WHERE id = $1`, [f.users.clerk_b.id, f.villageA]);
    await me(reviewer).expect(401);
  });

  it('a token without a session id (issued before sessions) or naming another user’s session is refused', async () => {
    const jwt = new JwtService({ secret: createSecretKey(Buffer.from(process.env.JWT_SECRET ?? 'dev-only-jwt-secret-change-me-0123456789', 'utf8')) });
    const u = f.users.auditor;
    const base = { sub: u.id, usr: u.username, role: 'auditor', town: f.townId, vil: null, shop: null, typ: 'access' };
    const old = await jwt.signAsync(base, { expiresIn: 600, algorithm: 'HS256' });
    expect((await request(stack.http).get('/api/v1/auth/me').set('authorization', `Bearer ${old}`).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    const [other] = await stack.db.query(`SELECT id FROM staff_sessions WHERE staff_id <> $1 AND ended_at IS NULL LIMIT 1`, [u.id]);
    const borrowed = await jwt.signAsync({ ...base, sid: other.id }, { expiresIn: 600, algorithm: 'HS256' });
    await request(stack.http).get('/api/v1/auth/me').set('authorization', `Bearer ${borrowed}`).expect(401);
  });

  it('the per-request check: one prepared lookup by session id, live sessions only (cost printed)', async () => {
    await login(f.users.auditor.username);
    const [s] = await stack.db.query(`SELECT id FROM staff_sessions WHERE staff_id = $1 AND ended_at IS NULL ORDER BY created_at DESC LIMIT 1`, [f.users.auditor.id]);
    const repo = stack.api.get(AuthRepository);
    const n = 500;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) expect(await repo.findLiveSession(s.id, f.users.auditor.id)).toMatchObject({ active: true, role: 'auditor' });
    const perLookupMs = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    console.log(`session check: ${perLookupMs.toFixed(3)} ms per lookup (${n} sequential)`);
    expect(await repo.findLiveSession(s.id, f.users.town_admin.id)).toBeNull();
    const [ended] = await stack.db.query(`SELECT id FROM staff_sessions WHERE ended_at IS NOT NULL LIMIT 1`);
    expect(await repo.findLiveSession(ended.id, f.users.auditor.id)).toBeNull();
  });
});

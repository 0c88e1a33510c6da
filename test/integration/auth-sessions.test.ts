import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADER, REFRESH_COOKIE } from '@app/auth/refresh-cookie';
import { startStack, type TestStack } from '../support/app';
import { FIXTURE_PASSWORD, seedTown, type TownFixture } from '../support/fixtures';

/** The refresh cookie a response sets: its value and attributes. */
function refreshCookie(res: request.Response): { value: string; attrs: string[] } | undefined {
  const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${REFRESH_COOKIE}=`));
  if (!raw) return undefined;
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  return { value: decodeURIComponent(pair.slice(REFRESH_COOKIE.length + 1)), attrs };
}

describe('sessions: API clients keep the token in the body, the console in an httpOnly cookie', () => {
  let stack: TestStack;
  let f: TownFixture;
  const api = (path: string) => `/api/v1${path}`;
  const cookie = (value: string) => `${REFRESH_COOKIE}=${encodeURIComponent(value)}`;
  const consoleLogin = () => request(stack.http).post(api('/auth/login')).send({ username: f.users.village_clerk.username, password: FIXTURE_PASSWORD, client: 'console' });
  const refreshWith = (value: string) => request(stack.http).post(api('/auth/refresh')).set('cookie', cookie(value)).set(CONSOLE_HEADER, '1');
  const liveTokens = async (staffId: string) =>
    (await stack.db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE staff_id = $1 AND used_at IS NULL AND revoked_at IS NULL`, [staffId]))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an API client login answers both tokens in the body and sets no cookie; its refresh rotates by body', async () => {
    const login = await request(stack.http).post(api('/auth/login')).send({ username: f.users.auditor.username, password: FIXTURE_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.refreshToken).toEqual(expect.any(String));
    expect(login.headers['set-cookie']).toBeUndefined();
    const next = await request(stack.http).post(api('/auth/refresh')).send({ refreshToken: login.body.refreshToken });
    expect(next.status).toBe(200);
    expect(next.body.refreshToken).not.toBe(login.body.refreshToken);
    expect(next.headers['set-cookie']).toBeUndefined();
    const again = await request(stack.http).post(api('/auth/refresh')).send({ refreshToken: login.body.refreshToken });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('AUTH.INVALID_TOKEN');
  });

  it('a console login sets the refresh token as an httpOnly, SameSite=Strict cookie on the auth path, and not in the body', async () => {
    const res = await consoleLogin();
    expect(res.status).toBe(200);
    expect(res.body.refreshToken).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain(refreshCookie(res)?.value ?? 'no cookie');
    const c = refreshCookie(res);
    expect(c?.value).toMatch(/.{16,}/);
    expect(c?.attrs).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/api/v1/auth', expect.stringMatching(/^Max-Age=\d+$/)]));
    // Plain http here: a Secure cookie would never come back.
    expect(c?.attrs).not.toContain('Secure');
    const me = await request(stack.http).get(api('/auth/me')).set('authorization', `Bearer ${res.body.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(f.users.village_clerk.username);
  });

  it('marks the cookie Secure when the request came over https (through the trusted proxy)', async () => {
    const res = await consoleLogin().set('x-forwarded-proto', 'https');
    expect(res.status).toBe(200);
    expect(refreshCookie(res)?.attrs).toContain('Secure');
  });

  it('refresh by cookie rotates it; the old cookie is then refused, and its reuse ends the session', async () => {
    const first = refreshCookie(await consoleLogin())!.value;
    const res = await refreshWith(first);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), expiresIn: expect.any(Number), tokenType: 'Bearer' });
    const second = refreshCookie(res)!.value;
    expect(second).not.toBe(first);
    const me = await request(stack.http).get(api('/auth/me')).set('authorization', `Bearer ${res.body.accessToken}`);
    expect(me.status).toBe(200);

    const reused = await refreshWith(first);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('AUTH.INVALID_TOKEN');
    // The refused cookie is cleared, and the reuse revoked the whole family: the newer one too.
    expect(refreshCookie(reused)?.attrs).toEqual(expect.arrayContaining([expect.stringMatching(/^Expires=Thu, 01 Jan 1970/)]));
    expect((await refreshWith(second)).status).toBe(401);
  });

  it('refuses a cookie without the console header (CSRF) and leaves the session usable', async () => {
    const value = refreshCookie(await consoleLogin())!.value;
    const res = await request(stack.http).post(api('/auth/refresh')).set('cookie', cookie(value));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('AUTH.CONSOLE_HEADER_REQUIRED');
    expect(refreshCookie(res)).toBeUndefined();
    const logout = await request(stack.http).post(api('/auth/logout')).set('cookie', cookie(value));
    expect(logout.status).toBe(403);
    expect((await refreshWith(value)).status).toBe(200);
  });

  it('logout by cookie ends the refresh token and clears the cookie', async () => {
    const value = refreshCookie(await consoleLogin())!.value;
    const before = await liveTokens(f.users.village_clerk.id);
    const res = await request(stack.http).post(api('/auth/logout')).set('cookie', cookie(value)).set(CONSOLE_HEADER, '1');
    expect(res.status).toBe(204);
    const cleared = refreshCookie(res);
    expect(cleared?.value).toBe('');
    expect(cleared?.attrs).toEqual(expect.arrayContaining(['Path=/api/v1/auth', expect.stringMatching(/^Expires=Thu, 01 Jan 1970/)]));
    expect(await liveTokens(f.users.village_clerk.id)).toBe(before - 1);
    const after = await refreshWith(value);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('AUTH.INVALID_TOKEN');
  });

  it('answers 400 as before when there is neither a body token nor a cookie', async () => {
    for (const path of ['/auth/refresh', '/auth/logout']) {
      const res = await request(stack.http).post(api(path)).set(CONSOLE_HEADER, '1').send({});
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION.FAILED');
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'refreshToken' })]);
    }
  });
});

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthService, LOGIN_THROTTLE } from '@app/auth/auth.service';
import { startStack, type TestStack } from '../support/app';
import { FIXTURE_PASSWORD, seedTown, type TownFixture } from '../support/fixtures';

/**
 * Five wrong passwords from anyone used to lock a staff member out for 15 minutes, for everyone.
 * Now failures slow down the (username, client address) pair that makes them: the real user on
 * another client is never stopped, and a guesser waits longer after every miss. Client addresses
 * come from X-Forwarded-For, which the app trusts from loopback (TRUST_PROXY's default).
 */
describe('failed logins slow the guesser, never lock the real user out', () => {
  let stack: TestStack;
  let f: TownFixture;
  const login = (username: string, password: string, client: string) =>
    request(stack.http).post('/api/v1/auth/login').set('x-forwarded-for', client).send({ username, password });

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => stack?.close());

  it("a stranger's failures from one address do not stop the real user's login from another", async () => {
    const victim = f.users.town_admin.username;
    const seen: number[] = [];
    for (let i = 0; i <= LOGIN_THROTTLE.free; i++) seen.push((await login(victim, `guess-${i}`, '203.0.113.66')).status);
    expect(seen).toEqual([401, 401, 401, 401]);
    // The guesser's client is now blocked, even with the right password: it cannot test guesses.
    const blocked = await login(victim, FIXTURE_PASSWORD, '203.0.113.66').expect(429);
    expect(blocked.body.code).toBe('AUTH.LOGIN_THROTTLED');
    expect(blocked.body.message).toMatch(/登录失败次数过多/);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(blocked.body.details.retryAfterSeconds).toBe(Number(blocked.headers['retry-after']));
    // The real user, from their own client, at once and with no delay.
    const real = await login(victim, FIXTURE_PASSWORD, '198.51.100.7').expect(200);
    expect(real.body.accessToken).toBeTruthy();
  });

  it('guessing stays slow: each miss after the free ones doubles the wait, Retry-After says how long', async () => {
    const user = f.users.auditor.username;
    const client = '203.0.113.10';
    for (let i = 0; i < LOGIN_THROTTLE.free; i++) await login(user, `g${i}`, client).expect(401);
    const delays: number[] = [];
    for (let round = 0; round < 3; round++) {
      await login(user, `miss-${round}`, client).expect(401);
      const refused = await login(user, `fast-${round}`, client).expect(429);
      const wait = Number(refused.headers['retry-after']);
      delays.push(wait);
      const [row] = await stack.db.query(`SELECT extract(epoch FROM blocked_until - now()) AS s FROM login_failures WHERE username = $1 AND client = $2`, [user, client]);
      expect(Number(row.s)).toBeGreaterThan(2 ** round - 1);
      expect(Number(row.s)).toBeLessThanOrEqual(2 ** round);
      await new Promise((r) => setTimeout(r, wait * 1000 + 50));
    }
    expect(delays).toEqual([1, 2, 4]);
    const [count] = await stack.db.query(`SELECT failures FROM login_failures WHERE username = $1 AND client = $2`, [user, client]);
    expect(count.failures).toBe(LOGIN_THROTTLE.free + 3); // refused attempts are not counted
  });

  it('parallel guesses cannot outrun the block: of 20 at once past the free attempts, one is checked', async () => {
    const user = f.users.shop_clerk.username;
    for (let i = 0; i < LOGIN_THROTTLE.free; i++) await login(user, `s${i}`, '203.0.113.20').expect(401);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(user, `p${i}`, '203.0.113.20')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(19);
  });

  it('unknown usernames are slowed the same way (nothing tells them apart)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_THROTTLE.free + 2; i++) statuses.push((await login('nobody-here', `x${i}`, '203.0.113.30')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });

  it("a success clears that client's count; the account itself is never locked", async () => {
    const user = f.users.village_reviewer.username;
    for (let i = 0; i < LOGIN_THROTTLE.free; i++) await login(user, `a${i}`, '198.51.100.40').expect(401);
    await login(user, FIXTURE_PASSWORD, '198.51.100.40').expect(200);
    for (let i = 0; i < LOGIN_THROTTLE.free; i++) await login(user, `b${i}`, '198.51.100.40').expect(401);
    await login(user, FIXTURE_PASSWORD, '198.51.100.40').expect(200);
    const [u] = await stack.db.query(`SELECT count(*)::int AS n FROM login_failures WHERE username = $1`, [user]);
    expect(u.n).toBe(0);
  });

  it('every failure of a real account is an audit row with the client address; repeated ones are a warn log line', async () => {
    const service = stack.api.get(AuthService);
    const warn = vi.spyOn((service as unknown as { logger: { warn: (...a: unknown[]) => void } }).logger, 'warn');
    const user = f.users.village_clerk;
    for (let i = 0; i < LOGIN_THROTTLE.free + 1; i++) await login(user.username, `c${i}`, '203.0.113.50').expect(401);
    const rows = await stack.db.query(
      `SELECT actor_type, actor_id, summary FROM audit_log WHERE action = 'auth.login_failed' AND target_id = $1 ORDER BY id`,
      [user.id],
    );
    expect(rows).toHaveLength(LOGIN_THROTTLE.free + 1);
    expect(rows.every((r: { actor_type: string; actor_id: string }) => r.actor_type === 'public' && r.actor_id === '203.0.113.50')).toBe(true);
    expect(rows.at(-1).summary).toMatchObject({ attempt: LOGIN_THROTTLE.free + 1, client: '203.0.113.50' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]).toEqual([expect.objectContaining({ username: user.username, client: '203.0.113.50', attempt: 4, blockedForSeconds: 1 }), 'repeated failed logins']);
    warn.mockRestore();
  });
});

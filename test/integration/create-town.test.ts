import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { spawnBuilt } from '../support/processes';

/**
 * A real town's first install: `cli.js create-town` (the built CLI, as an operator runs it)
 * makes the town and its first admin with a one-time password; the admin must change it before
 * any other call, then sets the town up through the API.
 */
describe('cli.js create-town and the first login', () => {
  let stack: TestStack;
  const cli = async (...args: string[]) => {
    const p = spawnBuilt('database/cli', ['create-town', ...args], { DATABASE_URL: stack.env.DATABASE_URL });
    const { code } = await p.exited;
    return { code, out: p.output() };
  };
  const count = async (sql: string) => (await stack.db.query(sql))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.close());

  it('creates the town and an admin who must change the printed one-time password first', async () => {
    const run = await cli('--name', '青山镇', '--code', 'QINGSHAN', '--admin', 'qingshan.admin', '--admin-name', '李主任', '--catalog-from', '2026-01-01');
    expect(run.code).toBe(0);
    const password = /one-time password \(shown only now\): (\S+)/.exec(run.out)?.[1] as string;
    expect(password).toMatch(/^\w{4}-\w{4}-\w{4}-\w{4}$/);
    const [user] = await stack.db.query(`SELECT password_hash, must_change_password FROM staff_users WHERE username = 'qingshan.admin'`);
    expect(user.must_change_password).toBe(true);
    expect(user.password_hash).not.toContain(password);

    const login = await request(stack.http).post('/api/v1/auth/login').send({ username: 'qingshan.admin', password }).expect(200);
    expect(login.body.mustChangePassword).toBe(true);
    const first = `Bearer ${login.body.accessToken}`;
    const refused = await request(stack.http).get('/api/v1/towns/current').set('authorization', first).expect(403);
    expect(refused.body.code).toBe('AUTH.PASSWORD_CHANGE_REQUIRED');
    expect(refused.body.message).toMatch(/一次性密码/);
    await request(stack.http).post('/api/v1/villages').set('authorization', first).send({ code: 'DC', name: '东村' }).expect(403);
    expect((await request(stack.http).get('/api/v1/auth/me').set('authorization', first).expect(200)).body.role).toBe('town_admin');

    const changed = await request(stack.http).post('/api/v1/auth/password').set('authorization', first).send({ currentPassword: password, newPassword: 'qingshan-admin-2026' }).expect(200);
    const admin = `Bearer ${changed.body.accessToken}`;
    await request(stack.http).get('/api/v1/towns/current').set('authorization', first).expect(401); // the first session ended
    expect((await request(stack.http).get('/api/v1/towns/current').set('authorization', admin).expect(200)).body).toMatchObject({ name: '青山镇', code: 'QINGSHAN' });
    await request(stack.http).post('/api/v1/villages').set('authorization', admin).send({ code: 'DC', name: '东村' }).expect(201);
    const again = await request(stack.http).post('/api/v1/auth/login').send({ username: 'qingshan.admin', password: 'qingshan-admin-2026' }).expect(200);
    expect(again.body.mustChangePassword).toBe(false);
    expect(await count(`SELECT count(*)::int AS n FROM catalog_adoptions a JOIN towns t ON t.id = a.town_id WHERE t.code = 'QINGSHAN'`)).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'town.create'`)).toBe(1);
  });

  it('refuses a taken code, a taken username and bad arguments, and writes nothing', async () => {
    const towns = await count(`SELECT count(*)::int AS n FROM towns`);
    const staff = await count(`SELECT count(*)::int AS n FROM staff_users`);
    const taken = await cli('--name', '另一个镇', '--code', 'QINGSHAN', '--admin', 'other.admin');
    expect([taken.code, taken.out]).toEqual([1, expect.stringMatching(/create-town: a town with code QINGSHAN exists already/)]);
    const user = await cli('--name', '另一个镇', '--code', 'LINGYI', '--admin', 'qingshan.admin');
    expect([user.code, user.out]).toEqual([1, expect.stringMatching(/username qingshan.admin is taken/)]);
    const bad = await cli('--name', '另一个镇', '--code', 'lower', '--admin', 'X');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/--code: 2–16 upper-case/);
    expect(bad.out).toMatch(/--admin: the first admin username/);
    const unknown = await cli('--name', 'x', '--cod', 'Y');
    expect(unknown.code).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM towns`)).toBe(towns);
    expect(await count(`SELECT count(*)::int AS n FROM staff_users`)).toBe(staff);
  });
});

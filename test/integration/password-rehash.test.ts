import * as argon2 from 'argon2';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { FIXTURE_PASSWORD, seedTown, type TownFixture } from '../support/fixtures';

/** The parameters every new hash is made with (PASSWORD_HASH_OPTIONS): m = 19 MiB, t = 2, p = 1. */
const CURRENT = /^\$argon2id\$v=19\$(?=.*\bm=19456\b)(?=.*\bt=2\b)(?=.*\bp=1\b)/;

describe('argon2 parameters: new hashes at m=19 MiB, t=2, p=1; older hashes rewritten at login', () => {
  let stack: TestStack;
  let f: TownFixture;
  const login = (username: string, password: string) => request(stack.http).post('/api/v1/auth/login').send({ username, password });
  const storedHash = async (id: string) => (await stack.db.query(`SELECT password_hash FROM staff_users WHERE id = $1`, [id]))[0].password_hash as string;
  /** The user's hash as the library's defaults made it before (m = 64 MiB, t = 3, p = 4). */
  const giveOldHash = async (id: string) => {
    const old = await argon2.hash(FIXTURE_PASSWORD, { type: argon2.argon2id });
    expect(old).toMatch(/m=65536/);
    await stack.db.query(`UPDATE staff_users SET password_hash = $2 WHERE id = $1`, [id, old]);
    return old;
  };

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('seeds and new users are hashed with the current parameters', async () => {
    expect(await storedHash(f.users.auditor.id)).toMatch(CURRENT);
  });

  it('a login with an old-parameter hash succeeds and rewrites the hash with the current parameters, in the same request', async () => {
    const u = f.users.village_clerk;
    const old = await giveOldHash(u.id);
    const res = await login(u.username, FIXTURE_PASSWORD);
    expect(res.status).toBe(200);
    const now = await storedHash(u.id);
    expect(now).not.toBe(old);
    expect(now).toMatch(CURRENT);
    expect(await argon2.verify(now, FIXTURE_PASSWORD)).toBe(true);
    const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'auth.login' AND target_id = $1 ORDER BY id DESC LIMIT 1`, [u.id]);
    expect(audit.summary).toEqual({ passwordRehashed: true });
    // The new hash logs in as before, and is not rewritten again.
    const again = await login(u.username, FIXTURE_PASSWORD);
    expect(again.status).toBe(200);
    expect(await storedHash(u.id)).toBe(now);
  });

  it('a wrong password never rewrites an old-parameter hash', async () => {
    const u = f.users.shop_clerk;
    const old = await giveOldHash(u.id);
    const res = await login(u.username, 'not-the-password');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH.INVALID_CREDENTIALS');
    expect(await storedHash(u.id)).toBe(old);
  });

  it('a login with a current hash leaves it as it is', async () => {
    const u = f.users.auditor;
    const before = await storedHash(u.id);
    expect((await login(u.username, FIXTURE_PASSWORD)).status).toBe(200);
    expect(await storedHash(u.id)).toBe(before);
  });
});

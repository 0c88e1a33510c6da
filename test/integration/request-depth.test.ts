import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { bearer, seedTown } from '../support/fixtures';

/**
 * The bodies of the attack report, byte for byte: each answered 500 INTERNAL.ERROR before login
 * (the stack overflowed in transformation/validation). Now the raw body is measured before it is
 * parsed and refused with 400 REQUEST.TOO_DEEP.
 */
const HUNDRED_THOUSAND_ARRAYS = '['.repeat(100_000) + ']'.repeat(100_000); // 200 KB
const FIVE_THOUSAND_OBJECTS = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);

describe('deeply nested JSON is refused before any transformation', () => {
  let stack: TestStack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    const f = await seedTown(stack.db, 1);
    admin = await bearer(stack.http, f.users.town_admin.username);
  });
  afterAll(async () => stack?.close());

  it('the bodies are the ones reported', () => {
    expect(Buffer.byteLength(HUNDRED_THOUSAND_ARRAYS)).toBe(200_000);
    expect(() => JSON.parse(FIVE_THOUSAND_OBJECTS)).not.toThrow();
  });

  it.each(['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout'])('unauthenticated %s: 400 REQUEST.TOO_DEEP for both bodies', async (path) => {
    for (const body of [HUNDRED_THOUSAND_ARRAYS, FIVE_THOUSAND_OBJECTS]) {
      const res = await request(stack.http).post(path).set('content-type', 'application/json').send(body);
      expect([res.status, res.body.code]).toEqual([400, 'REQUEST.TOO_DEEP']);
      expect(res.body.message).toMatch(/嵌套层数过深/);
      expect(res.body.requestId).toBeTruthy();
    }
  });

  it('an authenticated JSON endpoint (POST /staff): 400 REQUEST.TOO_DEEP, nothing created', async () => {
    const before = (await stack.db.query(`SELECT count(*)::int AS n FROM staff_users`))[0].n;
    for (const body of [HUNDRED_THOUSAND_ARRAYS, FIVE_THOUSAND_OBJECTS]) {
      const res = await request(stack.http).post('/api/v1/staff').set('authorization', admin).set('content-type', 'application/json').send(body);
      expect([res.status, res.body.code]).toEqual([400, 'REQUEST.TOO_DEEP']);
    }
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM staff_users`))[0].n).toBe(before);
  });

  it('the api still answers afterwards, and ordinary nesting is untouched', async () => {
    const res = await request(stack.http).post('/api/v1/auth/login').send({ username: 'nobody', password: '['.repeat(200) }).expect(401);
    expect(res.body.code).toBe('AUTH.INVALID_CREDENTIALS');
    const shallow = await request(stack.http).post('/api/v1/auth/login').send({ username: [[['x']]], password: 'p' }).expect(400);
    expect(shallow.body.code).toBe('VALIDATION.FAILED');
  });
});

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';

// Its own file: the limit is read when the app module first loads, once per file.
describe('till: pairing attempts are rate-limited per address (the login limit)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: { LOGIN_RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => stack?.close());

  it('wrong codes past the limit are answered 429 with a stable code, not tried', async () => {
    const answers: Array<[number, string]> = [];
    for (let i = 0; i < 8; i++) {
      const res = await request(stack.http).post('/api/v1/terminals/pair').send({ code: 'ZZZZ-ZZZZ' });
      answers.push([res.status, res.body.code]);
    }
    expect(answers.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => [400, 'TERMINAL.PAIRING_CODE_INVALID']));
    expect(answers.slice(5)).toEqual(Array.from({ length: 3 }, () => [429, 'RATE.LIMITED']));
  });
});

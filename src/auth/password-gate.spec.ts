import * as argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { AuthService, PASSWORD_GATE, passwordNeedsRehash } from './auth.service';

describe('password hashing', () => {
  it('runs one argon2 hash at a time per process (its memory cost each, outside the heap)', async () => {
    const hashes = [0, 1, 2].map((i) => AuthService.hashPassword(`password-${i}`));
    expect(PASSWORD_GATE.load).toEqual({ active: 1, waiting: 2 });
    expect((await Promise.all(hashes)).every((h) => h.startsWith('$argon2id$v=19$'))).toBe(true);
    expect(PASSWORD_GATE.load).toEqual({ active: 0, waiting: 0 });
  });

  it('hashes new passwords with argon2id m=19456 KiB, t=2, p=1 (OWASP minimum), and does not ask to rehash them', async () => {
    const h = await AuthService.hashPassword('some password');
    const params = Object.fromEntries(/\$argon2id\$v=19\$([^$]+)\$/.exec(h)![1].split(',').map((kv) => kv.split('=')));
    expect(params).toEqual({ m: '19456', t: '2', p: '1' });
    expect(passwordNeedsRehash(h)).toBe(false);
    expect(await argon2.verify(h, 'some password')).toBe(true);
  });

  it('asks to rehash a hash made with other parameters or another argon2 variant', async () => {
    expect(passwordNeedsRehash(await argon2.hash('x', { type: argon2.argon2id }))).toBe(true); // library defaults, 64 MiB
    expect(passwordNeedsRehash(await argon2.hash('x', { type: argon2.argon2id, memoryCost: 19_456, timeCost: 3, parallelism: 1 }))).toBe(true);
    expect(passwordNeedsRehash(await argon2.hash('x', { type: argon2.argon2i, memoryCost: 19_456, timeCost: 2, parallelism: 1 }))).toBe(true);
  });
});

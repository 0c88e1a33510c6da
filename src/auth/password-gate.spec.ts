import { describe, expect, it } from 'vitest';
import { AuthService, PASSWORD_GATE } from './auth.service';

describe('password hashing', () => {
  it('runs one argon2 hash at a time per process (64 MB each, outside the heap)', async () => {
    const hashes = [0, 1, 2].map((i) => AuthService.hashPassword(`password-${i}`));
    expect(PASSWORD_GATE.load).toEqual({ active: 1, waiting: 2 });
    expect((await Promise.all(hashes)).every((h) => h.startsWith('$argon2id$v=19$m=65536,'))).toBe(true);
    expect(PASSWORD_GATE.load).toEqual({ active: 0, waiting: 0 });
  });
});

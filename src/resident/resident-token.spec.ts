import { describe, expect, it } from 'vitest';
import { isResidentTokenShape, newResidentToken, residentPagePath, residentTokenHash } from './resident-token';

describe('resident tokens', () => {
  it('are 24 url-safe characters (144 random bits) and differ each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = newResidentToken();
      expect(t).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(Buffer.from(t, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
      seen.add(t);
    }
    expect(seen.size).toBe(200);
  });

  it('recognises only the token shape', () => {
    expect(isResidentTokenShape(newResidentToken())).toBe(true);
    for (const bad of ['', 'short', 'a'.repeat(23), 'a'.repeat(25), 'abc/def+ghi=jklmnopqrstu', `${'a'.repeat(23)} `, 42, null, undefined]) {
      expect(isResidentTokenShape(bad)).toBe(false);
    }
  });

  it('stores a hash that is not the token and is stable', () => {
    const t = newResidentToken();
    expect(residentTokenHash(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(residentTokenHash(t)).toBe(residentTokenHash(t));
    expect(residentTokenHash(t)).not.toContain(t);
  });

  it('puts the token in the fragment of the page link', () => {
    expect(residentPagePath('abc')).toBe('/r/#abc');
  });
});

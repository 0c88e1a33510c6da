import { describe, expect, it } from 'vitest';
import { checkCreateTownInput, oneTimePassword } from './create-town';

describe('create-town input and password', () => {
  it('accepts a real town, names each bad argument', () => {
    expect(checkCreateTownInput({ name: '侯营镇', code: 'HOUYING', admin: 'houying.admin', catalogFrom: '2026-01-01' })).toEqual([]);
    const problems = checkCreateTownInput({ name: '', code: 'houying', admin: 'A', catalogFrom: '2026-13-45' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['--name', '--code', '--admin', '--catalog-from']);
  });

  it('one-time passwords: 4 groups of 4 unambiguous characters, different every time', () => {
    const seen = new Set(Array.from({ length: 200 }, oneTimePassword));
    expect(seen.size).toBe(200);
    for (const p of seen) expect(p).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){3}$/);
  });
});

import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth';

const nested = (n: number, open = '[', close = ']') => open.repeat(n) + close.repeat(n);

describe('jsonNestsDeeperThan', () => {
  it('accepts ordinary bodies and exactly the limit', () => {
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[2]}],"c":"x"}')).toBe(false);
    expect(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestsDeeperThan('')).toBe(false);
  });

  it('refuses one level past the limit, arrays or objects or mixed', () => {
    expect(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestsDeeperThan('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestsDeeperThan('[{"a":'.repeat(20) + '1' + '}]'.repeat(20))).toBe(true);
  });

  it('counts depth, not the number of brackets: many siblings are fine', () => {
    expect(jsonNestsDeeperThan('[' + '[],'.repeat(100_000) + '[]]')).toBe(false);
  });

  it('ignores brackets inside strings, including after escaped quotes', () => {
    expect(jsonNestsDeeperThan(JSON.stringify({ s: '['.repeat(1000) }))).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify({ s: '\\"' + '['.repeat(1000) }))).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify({ s: 'a\\' }) + nested(40))).toBe(true);
  });

  it('handles the hostile bodies of the report quickly, without recursion', () => {
    const t0 = Date.now();
    expect(jsonNestsDeeperThan(Buffer.from(nested(100_000)))).toBe(true);
    expect(jsonNestsDeeperThan('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))).toBe(true);
    expect(Date.now() - t0).toBeLessThan(500);
  });
});

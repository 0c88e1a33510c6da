import { describe, expect, it } from 'vitest';
import { BREACH_ITEM_COUNT, DEFAULT_CATALOG, TRUST_ITEM_COUNT, validateCatalogData, type CatalogData } from './default-catalog';

const clone = (): CatalogData => structuredClone(DEFAULT_CATALOG);

describe('default catalogue data file', () => {
  it('has exactly 66 trust and 87 breach items with unique codes and names', () => {
    expect(TRUST_ITEM_COUNT).toBe(66);
    expect(BREACH_ITEM_COUNT).toBe(87);
    expect(DEFAULT_CATALOG.items.filter((i) => i.sign === 1)).toHaveLength(66);
    expect(DEFAULT_CATALOG.items.filter((i) => i.sign === -1)).toHaveLength(87);
    expect(new Set(DEFAULT_CATALOG.items.map((i) => i.code)).size).toBe(153);
    expect(new Set(DEFAULT_CATALOG.items.map((i) => i.name)).size).toBe(153);
  });

  it('passes validateCatalogData (every rule valid)', () => {
    expect(validateCatalogData(DEFAULT_CATALOG)).toEqual([]);
  });
});

describe('validateCatalogData refuses a bad catalogue', () => {
  it('with a trust item missing', () => {
    const c = clone();
    c.items = c.items.filter((i) => i.code !== 'T01');
    expect(validateCatalogData(c)).toContain('expected 66 trust items, found 65');
  });

  it('with a breach item too many', () => {
    const c = clone();
    c.items.push({ ...c.items.find((i) => i.sign === -1)!, code: 'B88', name: '多出来的事项' });
    expect(validateCatalogData(c)).toContain('expected 87 breach items, found 88');
  });

  it('with an invalid rule', () => {
    const c = clone();
    c.items[0] = { ...c.items[0]!, rule: { type: 'range', min: 5, max: 3 } };
    expect(validateCatalogData(c)).toContain(`${c.items[0]!.code}: rule.min must be less than rule.max`);
  });

  it('with an unknown rule type and a duplicate code', () => {
    const c = clone();
    c.items[1] = { ...c.items[1]!, code: c.items[0]!.code, rule: { type: 'bonus' } as never };
    const problems = validateCatalogData(c);
    expect(problems).toContain(`duplicate code ${c.items[0]!.code}`);
    expect(problems.some((p) => p.includes('unknown rule type "bonus"'))).toBe(true);
  });
});

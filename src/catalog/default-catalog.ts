import { validateRule } from '@app/scoring/rules/rule-engine';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';
import data from './data/default-catalog.v1.json';

export interface CatalogItemData {
  code: string;
  category: string;
  name: string;
  description: string;
  sign: 1 | -1;
  rule: Rule;
  caps?: ItemCaps;
}

export interface CatalogData {
  version: string;
  name: string;
  description: string;
  items: CatalogItemData[];
}

export const TRUST_ITEM_COUNT = 66;
export const BREACH_ITEM_COUNT = 87;

/** Problems with a catalogue file (empty = valid): counts, codes, names, signs, rules. */
export function validateCatalogData(c: CatalogData, counts = { trust: TRUST_ITEM_COUNT, breach: BREACH_ITEM_COUNT }): string[] {
  const problems: string[] = [];
  const trust = c.items.filter((i) => i.sign === 1);
  const breach = c.items.filter((i) => i.sign === -1);
  if (trust.length !== counts.trust) problems.push(`expected ${counts.trust} trust items, found ${trust.length}`);
  if (breach.length !== counts.breach) problems.push(`expected ${counts.breach} breach items, found ${breach.length}`);
  if (trust.length + breach.length !== c.items.length) problems.push('every item needs sign 1 or -1');
  const seenCodes = new Set<string>();
  const seenNames = new Set<string>();
  for (const item of c.items) {
    if (seenCodes.has(item.code)) problems.push(`duplicate code ${item.code}`);
    if (seenNames.has(item.name)) problems.push(`duplicate name ${item.name}`);
    seenCodes.add(item.code);
    seenNames.add(item.name);
    const expectPrefix = item.sign === 1 ? 'T' : 'B';
    if (!new RegExp(`^${expectPrefix}\\d{2}$`).test(item.code)) problems.push(`${item.code}: code must be ${expectPrefix}NN for sign ${item.sign}`);
    for (const field of ['category', 'name', 'description'] as const) {
      if (!item[field] || typeof item[field] !== 'string') problems.push(`${item.code}: ${field} missing`);
    }
    for (const p of validateRule(item.rule, item.caps)) problems.push(`${item.code}: ${p}`);
  }
  return problems;
}

export const DEFAULT_CATALOG = data as unknown as CatalogData;

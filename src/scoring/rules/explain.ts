/** The rule engine (see ./rule-engine.ts): the rule in words and catalogue helpers. */
import type { ItemCaps, ItemSign, ScoringItem } from './rule.types.js';
import { signed, verbOf } from './rule-common';
import { assertValidItem } from './validate';
import { thresholdWords } from './evaluate';

function capsWords(sign: ItemSign, caps: ItemCaps | undefined): string[] {
  const words: string[] = [];
  if (caps?.perMonth !== undefined) words.push(`每月最多 ${signed(sign, caps.perMonth)} 分`);
  if (caps?.perYear !== undefined) words.push(`每年最多 ${signed(sign, caps.perYear)} 分`);
  return words;
}

/** The rule in words, for catalogue pages and the board's legend. */
export function explainRule(item: ScoringItem): string {
  assertValidItem(item);
  const { rule, sign } = item;
  let main: string;
  switch (rule.type) {
    case 'fixed':
      main = `每次 ${signed(sign, rule.points)} 分`;
      break;
    case 'range':
      main = `由议事会在 ${rule.min}—${rule.max} 分之间评定${verbOf(sign)}分并说明理由`;
      break;
    case 'per_unit':
      // "年内累计" tells residents that two 50-yuan gifts make one 100-yuan unit.
      main = `年内累计每 ${rule.unitSize} ${rule.unitLabel} ${signed(sign, rule.pointsPerUnit)} 分`;
      break;
    case 'cumulative_bands': {
      const steps = rule.bands.map((b) => `${b.atLeast} ${rule.unitLabel} ${signed(sign, b.points)}`);
      main = `年内累计：${steps.join('，')}（为累计总分，跨档时补足差额）`;
      break;
    }
    case 'repeat_threshold': {
      const words = thresholdWords(rule, sign, 'signed');
      const once = rule.scoreEach || rule.threshold === 1 ? '' : '（仅此一次）';
      main = rule.threshold === 1 ? `年内${words}` : `年内${words}${once}，此前记录警告`;
      break;
    }
  }
  return [main, ...capsWords(sign, item.caps)].join('；');
}

/**
 * The most points (magnitude) the item can give one resident in one rating year of 12 periods,
 * or null when nothing bounds it. Used for catalogue sanity checks and for showing residents
 * "at most …".
 */
export function maxAwardPerYear(item: ScoringItem): number | null {
  assertValidItem(item);
  const bounds: number[] = [];
  const { rule, caps } = item;
  if (caps?.perYear !== undefined) bounds.push(caps.perYear);
  if (caps?.perMonth !== undefined) bounds.push(caps.perMonth * 12);
  if (rule.type === 'cumulative_bands') {
    const top = rule.bands[rule.bands.length - 1];
    if (top !== undefined) bounds.push(top.points);
  }
  if (rule.type === 'repeat_threshold' && !rule.scoreEach) bounds.push(rule.points);
  return bounds.length === 0 ? null : Math.min(...bounds);
}

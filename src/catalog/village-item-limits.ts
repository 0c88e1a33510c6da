import type { ItemCaps, ItemSign, Rule } from '@app/scoring/rules/rule.types';

/** A town's limits on the items a village adds of its own (Wendeng: 5 bonus, 5 penalty, ≤ 2 points). */
export interface VillageItemLimits {
  villageMaxBonusItems: number;
  villageMaxPenaltyItems: number;
  villageItemMaxPoints: number;
}

export interface LimitViolation {
  limit: keyof VillageItemLimits;
  allowed: number;
  /** What the new item would make it; null when nothing bounds the award (see maxSingleAward). */
  actual: number | null;
  message: string;
}

/**
 * The most points (magnitude) one entry under this rule can score, or null when the rule alone
 * does not bound it. A per_unit entry scores every whole unit its quantity adds (a 1000-yuan gift
 * is ten 100-yuan units at once), so only its caps bound a single award; for cumulative bands the
 * top band's total is the most a year, hence a single entry, can reach.
 */
export function maxSingleAward(rule: Rule, caps?: ItemCaps | null): number | null {
  switch (rule.type) {
    case 'fixed':
    case 'repeat_threshold':
      return rule.points;
    case 'range':
      return rule.max;
    case 'cumulative_bands':
      return rule.bands[rule.bands.length - 1]?.points ?? 0;
    case 'per_unit': {
      const bounds = [caps?.perMonth, caps?.perYear].filter((b): b is number => b !== undefined && b !== null);
      return bounds.length ? Math.min(...bounds) : null;
    }
  }
}

/** Why a village may not add this item (empty = it may). `existing` counts its items by sign. */
export function villageItemLimitViolations(
  item: { sign: ItemSign; rule: Rule; caps?: ItemCaps | null },
  existing: { bonus: number; penalty: number },
  limits: VillageItemLimits,
): LimitViolation[] {
  const out: LimitViolation[] = [];
  if (item.sign === 1 && existing.bonus + 1 > limits.villageMaxBonusItems) {
    out.push({
      limit: 'villageMaxBonusItems',
      allowed: limits.villageMaxBonusItems,
      actual: existing.bonus + 1,
      message: `每村最多自设 ${limits.villageMaxBonusItems} 个加分事项 / at most ${limits.villageMaxBonusItems} bonus items per village`,
    });
  }
  if (item.sign === -1 && existing.penalty + 1 > limits.villageMaxPenaltyItems) {
    out.push({
      limit: 'villageMaxPenaltyItems',
      allowed: limits.villageMaxPenaltyItems,
      actual: existing.penalty + 1,
      message: `每村最多自设 ${limits.villageMaxPenaltyItems} 个扣分事项 / at most ${limits.villageMaxPenaltyItems} penalty items per village`,
    });
  }
  const award = maxSingleAward(item.rule, item.caps);
  if (award === null || award > limits.villageItemMaxPoints) {
    out.push({
      limit: 'villageItemMaxPoints',
      allowed: limits.villageItemMaxPoints,
      actual: award,
      message:
        award === null
          ? `按单位计分的事项须设每月或每年上限（不超过 ${limits.villageItemMaxPoints} 分）/ a per-unit item needs a perMonth or perYear cap of at most ${limits.villageItemMaxPoints}`
          : `单次最多 ${award} 分，超过本镇上限 ${limits.villageItemMaxPoints} 分 / one entry could score ${award}, over the limit of ${limits.villageItemMaxPoints}`,
    });
  }
  return out;
}

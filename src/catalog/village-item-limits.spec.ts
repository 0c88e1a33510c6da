import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rule } from '@app/scoring/rules/rule.types';
import { maxSingleAward, villageItemLimitViolations } from './village-item-limits';

const LIMITS = { villageMaxBonusItems: 5, villageMaxPenaltyItems: 5, villageItemMaxPoints: 2 };
const NONE = { bonus: 0, penalty: 0 };

describe('maxSingleAward', () => {
  it.each<[string, Rule, object | undefined, number | null]>([
    ['fixed: its points', { type: 'fixed', points: 3 }, undefined, 3],
    ['range: its max', { type: 'range', min: 1, max: 4 }, undefined, 4],
    ['repeat threshold: its points', { type: 'repeat_threshold', threshold: 2, points: 10, scoreEach: true }, undefined, 10],
    ['bands: the top band total', { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 10, points: 1 }, { atLeast: 20, points: 2 }] }, undefined, 2],
    ['per unit without caps: unbounded', { type: 'per_unit', unitSize: 100, unitLabel: '元', pointsPerUnit: 1 }, undefined, null],
    ['per unit: the tighter cap', { type: 'per_unit', unitSize: 100, unitLabel: '元', pointsPerUnit: 1 }, { perMonth: 2, perYear: 5 }, 2],
  ])('%s', (_, rule, caps, expected) => {
    expect(maxSingleAward(rule, caps)).toBe(expected);
  });
});

describe('village item limits (table)', () => {
  it.each<[string, { sign: 1 | -1; rule: Rule; caps?: object }, { bonus: number; penalty: number }, string[]]>([
    ['a 2-point bonus item, none yet', { sign: 1, rule: { type: 'fixed', points: 2 } }, NONE, []],
    ['a 3-point item', { sign: 1, rule: { type: 'fixed', points: 3 } }, NONE, ['villageItemMaxPoints']],
    ['a range up to 3', { sign: -1, rule: { type: 'range', min: 1, max: 3 } }, NONE, ['villageItemMaxPoints']],
    ['the 6th bonus item', { sign: 1, rule: { type: 'fixed', points: 1 } }, { bonus: 5, penalty: 0 }, ['villageMaxBonusItems']],
    ['a 6th penalty item that is also too big', { sign: -1, rule: { type: 'fixed', points: 5 } }, { bonus: 0, penalty: 5 }, ['villageMaxPenaltyItems', 'villageItemMaxPoints']],
    ['a penalty item while bonus slots are full', { sign: -1, rule: { type: 'fixed', points: 2 } }, { bonus: 5, penalty: 4 }, []],
    ['per unit with no cap', { sign: 1, rule: { type: 'per_unit', unitSize: 100, unitLabel: '元', pointsPerUnit: 1 } }, NONE, ['villageItemMaxPoints']],
    ['per unit capped at 2 a month', { sign: 1, rule: { type: 'per_unit', unitSize: 100, unitLabel: '元', pointsPerUnit: 1 }, caps: { perMonth: 2 } }, NONE, []],
    ['threshold of 10 points', { sign: -1, rule: { type: 'repeat_threshold', threshold: 2, points: 10, scoreEach: false } }, NONE, ['villageItemMaxPoints']],
  ])('%s', (_, item, existing, expected) => {
    expect(villageItemLimitViolations(item, existing, LIMITS).map((v) => v.limit)).toEqual(expected);
  });
});

describe('village item limits (properties)', () => {
  const limits = fc.record({ villageMaxBonusItems: fc.nat(10), villageMaxPenaltyItems: fc.nat(10), villageItemMaxPoints: fc.integer({ min: 1, max: 20 }) });
  const counts = fc.record({ bonus: fc.nat(12), penalty: fc.nat(12) });

  it('a fixed item is refused on points exactly when its points exceed the limit', () => {
    fc.assert(
      fc.property(limits, counts, fc.integer({ min: 1, max: 40 }), fc.constantFrom<1 | -1>(1, -1), (l, c, points, sign) => {
        const v = villageItemLimitViolations({ sign, rule: { type: 'fixed', points } }, c, l);
        return v.some((x) => x.limit === 'villageItemMaxPoints') === points > l.villageItemMaxPoints;
      }),
    );
  });

  it('the count limit of a sign is hit exactly when the village already has that many, and never for the other sign', () => {
    fc.assert(
      fc.property(limits, counts, fc.constantFrom<1 | -1>(1, -1), (l, c, sign) => {
        const v = villageItemLimitViolations({ sign, rule: { type: 'fixed', points: 1 } }, c, l).map((x) => x.limit);
        const [own, other, have, max] =
          sign === 1 ? ['villageMaxBonusItems', 'villageMaxPenaltyItems', c.bonus, l.villageMaxBonusItems] : ['villageMaxPenaltyItems', 'villageMaxBonusItems', c.penalty, l.villageMaxPenaltyItems];
        return v.includes(own as never) === have >= max && !v.includes(other as never);
      }),
    );
  });

  it('a range item passes exactly when its max is within the limit', () => {
    fc.assert(
      fc.property(limits, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), (l, min, extra) => {
        const v = villageItemLimitViolations({ sign: 1, rule: { type: 'range', min, max: min + extra } }, NONE, { ...l, villageMaxBonusItems: 99 });
        return (v.length === 0) === min + extra <= l.villageItemMaxPoints;
      }),
    );
  });
});

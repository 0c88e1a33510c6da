import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  assertValidRule,
  entryInputProblems,
  evaluatePeriod,
  explainRule,
  maxAwardPerYear,
  RuleInputError,
  validateRule,
} from './rule-engine.js';
import type {
  CumulativeBandsRule,
  EntryScore,
  ItemCaps,
  ItemSign,
  ItemYearHistory,
  PeriodEntryInput,
  Rule,
  ScoringItem,
} from './rule.types.js';

const NO_HISTORY: ItemYearHistory = { quantity: 0, points: 0, occurrences: 0 };
const MINUS = '\u2212';

// Wendeng's published values (shared/reference/domain-notes.md).
const VOLUNTEER: ScoringItem = {
  code: 'T-VOLUNTEER',
  sign: 1,
  rule: {
    type: 'cumulative_bands',
    unitLabel: '小时',
    bands: [
      { atLeast: 10, points: 2 },
      { atLeast: 20, points: 5 },
      { atLeast: 50, points: 10 },
      { atLeast: 80, points: 15 },
      { atLeast: 100, points: 20 },
      { atLeast: 150, points: 25 },
      { atLeast: 200, points: 30 },
      { atLeast: 250, points: 40 },
      { atLeast: 300, points: 50 },
    ],
  },
};
const DONATION: ScoringItem = {
  code: 'T-DONATION',
  sign: 1,
  rule: { type: 'per_unit', unitSize: 100, unitLabel: '元', pointsPerUnit: 1 },
  caps: { perYear: 40 },
};
const PARKING: ScoringItem = {
  code: 'B-PARKING',
  sign: -1,
  rule: { type: 'repeat_threshold', threshold: 2, points: 10, scoreEach: true },
};
const LITTERING: ScoringItem = {
  code: 'B-LITTER',
  sign: -1,
  rule: { type: 'fixed', points: 5 },
  caps: { perMonth: 10 },
};
const COMMENDATION: ScoringItem = {
  code: 'T-COMMEND',
  sign: 1,
  rule: { type: 'range', min: 1, max: 20 },
};

function entry(id: string, occurredOn: string, extra: Partial<PeriodEntryInput> = {}): PeriodEntryInput {
  return { id, occurredOn, ...extra };
}

function points(results: EntryScore[]): number[] {
  return results.map((r) => r.points);
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuleInputError) return error.code;
    throw error;
  }
  return undefined;
}

describe('evaluatePeriod: fixed', () => {
  it('scores each occurrence with the signed item points', () => {
    const results = evaluatePeriod(
      { code: 'B', sign: -1, rule: { type: 'fixed', points: 5 } },
      NO_HISTORY,
      [entry('a', '2026-03-02'), entry('b', '2026-03-09')],
    );
    expect(points(results)).toEqual([-5, -5]);
    expect(results[0]?.explanation).toEqual({ codes: ['FIXED'], text: `按规定 ${MINUS}5 分，本次 ${MINUS}5` });
  });

  it('stops at the monthly cap and says so', () => {
    const results = evaluatePeriod(LITTERING, NO_HISTORY, [
      entry('a', '2026-03-01'),
      entry('b', '2026-03-02'),
      entry('c', '2026-03-03'),
    ]);
    expect(points(results)).toEqual([-5, -5, 0]);
    expect(results[2]?.explanation.codes).toEqual(['FIXED', 'CAP_MONTH']);
    expect(results[2]?.explanation.text).toBe(`按规定 ${MINUS}5 分，已达本月上限 10 分，本次 ${MINUS}0`);
    expect(Object.is(results[2]?.points, -0)).toBe(false);
  });

  it('gives the remainder under a yearly cap, counting points from earlier periods', () => {
    const item: ScoringItem = { code: 'T', sign: 1, rule: { type: 'fixed', points: 5 }, caps: { perYear: 40 } };
    const results = evaluatePeriod(item, { quantity: 0, points: 38, occurrences: 8 }, [
      entry('a', '2026-11-02'),
      entry('b', '2026-11-03'),
    ]);
    expect(points(results)).toEqual([2, 0]);
    expect(results[0]?.explanation.codes).toEqual(['FIXED', 'CAP_YEAR']);
    expect(results[0]?.explanation.text).toBe('按规定 +5 分，受本年上限 40 分限制，本次 +2');
    expect(results[1]?.explanation.text).toBe('按规定 +5 分，已达本年上限 40 分，本次 +0');
  });

  it('applies whichever cap is tighter when both are set', () => {
    const item: ScoringItem = {
      code: 'T',
      sign: 1,
      rule: { type: 'fixed', points: 3 },
      caps: { perMonth: 5, perYear: 20 },
    };
    const results = evaluatePeriod(item, { quantity: 0, points: 18, occurrences: 6 }, [
      entry('a', '2026-12-01'),
      entry('b', '2026-12-02'),
    ]);
    // Month allows 5, year allows only 2 more.
    expect(points(results)).toEqual([2, 0]);
    expect(results[0]?.explanation.codes).toEqual(['FIXED', 'CAP_YEAR']);
  });

  it('accepts a quantity of 1 from spreadsheets but nothing else', () => {
    expect(points(evaluatePeriod(LITTERING, NO_HISTORY, [entry('a', '2026-03-01', { quantity: 1 })]))).toEqual([-5]);
    expect(errorCode(() => evaluatePeriod(LITTERING, NO_HISTORY, [entry('a', '2026-03-01', { quantity: 2 })]))).toBe(
      'ENTRY.QUANTITY_NOT_ALLOWED',
    );
  });

  it('refuses client-chosen points (the catalogue rule decides)', () => {
    const error = (() => {
      try {
        evaluatePeriod(LITTERING, NO_HISTORY, [entry('x1', '2026-03-01', { chosenPoints: 1 })]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RuleInputError);
    expect((error as RuleInputError).code).toBe('ENTRY.POINTS_NOT_ALLOWED');
    expect((error as RuleInputError).details?.entryId).toBe('x1');
  });
});

describe('evaluatePeriod: range', () => {
  it('scores the committee’s choice within the bounds, inclusive', () => {
    const results = evaluatePeriod(COMMENDATION, NO_HISTORY, [
      entry('a', '2026-05-01', { chosenPoints: 1 }),
      entry('b', '2026-05-02', { chosenPoints: 20 }),
      entry('c', '2026-05-03', { chosenPoints: 8 }),
    ]);
    expect(points(results)).toEqual([1, 20, 8]);
    expect(results[2]?.explanation).toEqual({ codes: ['RANGE'], text: '议事会评定 8 分（可评 1—20 分），本次 +8' });
  });

  it.each([0, 21, 2.5, -3, Number.NaN])('rejects %s as out of range', (chosen) => {
    expect(
      errorCode(() => evaluatePeriod(COMMENDATION, NO_HISTORY, [entry('a', '2026-05-01', { chosenPoints: chosen })])),
    ).toBe('ENTRY.POINTS_OUT_OF_RANGE');
  });

  it('requires points (the reason is checked by the entry service, not here)', () => {
    expect(errorCode(() => evaluatePeriod(COMMENDATION, NO_HISTORY, [entry('a', '2026-05-01')]))).toBe(
      'ENTRY.POINTS_REQUIRED',
    );
    expect(
      errorCode(() => evaluatePeriod(COMMENDATION, NO_HISTORY, [entry('a', '2026-05-01', { chosenPoints: null })])),
    ).toBe('ENTRY.POINTS_REQUIRED');
  });

  it('caps a generous choice to the monthly cap', () => {
    const item: ScoringItem = { ...COMMENDATION, caps: { perMonth: 10 } };
    const results = evaluatePeriod(item, NO_HISTORY, [
      entry('a', '2026-05-01', { chosenPoints: 8 }),
      entry('b', '2026-05-02', { chosenPoints: 8 }),
    ]);
    expect(points(results)).toEqual([8, 2]);
    expect(results[1]?.explanation.text).toBe('议事会评定 8 分（可评 1—20 分），受本月上限 10 分限制，本次 +2');
  });
});

describe('evaluatePeriod: per_unit (donations, +1 per 100 yuan, at most 40 a year)', () => {
  it('lets two 50-yuan donations make one unit, also across periods', () => {
    const samePeriod = evaluatePeriod(DONATION, NO_HISTORY, [
      entry('a', '2026-04-01', { quantity: 50 }),
      entry('b', '2026-04-20', { quantity: 50 }),
    ]);
    expect(points(samePeriod)).toEqual([0, 1]);
    const nextPeriod = evaluatePeriod(DONATION, { quantity: 50, points: 0, occurrences: 1 }, [
      entry('c', '2026-05-01', { quantity: 50 }),
    ]);
    expect(points(nextPeriod)).toEqual([1]);
    expect(nextPeriod[0]?.explanation).toEqual({
      codes: ['PER_UNIT'],
      text: '累计 100 元，每 100 元 +1 分，累计应得 1 分，此前已得 0 分，本次 +1',
    });
  });

  it('scores several units at once', () => {
    expect(points(evaluatePeriod(DONATION, NO_HISTORY, [entry('a', '2026-04-01', { quantity: 1250 })]))).toEqual([12]);
  });

  it('stops at 40 points a year', () => {
    const results = evaluatePeriod(DONATION, { quantity: 3900, points: 39, occurrences: 5 }, [
      entry('a', '2026-12-01', { quantity: 500 }),
      entry('b', '2026-12-02', { quantity: 100 }),
    ]);
    expect(points(results)).toEqual([1, 0]);
    expect(results[0]?.explanation.codes).toEqual(['PER_UNIT', 'CAP_YEAR']);
    expect(results[1]?.explanation.text).toContain('已达本年上限 40 分');
  });

  it('adds fractional quantities exactly (ten 0.1-unit entries reach one unit)', () => {
    const item: ScoringItem = {
      code: 'T',
      sign: 1,
      rule: { type: 'per_unit', unitSize: 1, unitLabel: '吨', pointsPerUnit: 3 },
    };
    const entries = Array.from({ length: 10 }, (_, i) => entry(`e${i}`, '2026-04-01', { quantity: 0.1 }));
    const results = evaluatePeriod(item, NO_HISTORY, entries);
    expect(points(results)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
  });

  it.each([
    [undefined, 'ENTRY.QUANTITY_REQUIRED'],
    [null, 'ENTRY.QUANTITY_REQUIRED'],
    [0, 'ENTRY.QUANTITY_INVALID'],
    [-100, 'ENTRY.QUANTITY_INVALID'],
    [Number.NaN, 'ENTRY.QUANTITY_INVALID'],
    [Number.POSITIVE_INFINITY, 'ENTRY.QUANTITY_INVALID'],
    [1_000_000.5, 'ENTRY.QUANTITY_INVALID'],
    [1e-9, 'ENTRY.QUANTITY_INVALID'],
  ])('rejects quantity %s with %s', (quantity, code) => {
    expect(errorCode(() => evaluatePeriod(DONATION, NO_HISTORY, [entry('a', '2026-04-01', { quantity })]))).toBe(code);
  });

  it('accepts the largest allowed quantity', () => {
    const results = evaluatePeriod(DONATION, NO_HISTORY, [entry('a', '2026-04-01', { quantity: 1_000_000 })]);
    expect(points(results)).toEqual([40]);
  });
});

describe('evaluatePeriod: cumulative_bands (volunteer hours)', () => {
  it('awards the crossed band less what earlier bands gave', () => {
    const results = evaluatePeriod(VOLUNTEER, { quantity: 45, points: 5, occurrences: 6 }, [
      entry('a', '2026-06-10', { quantity: 7 }),
    ]);
    expect(results).toEqual([
      {
        id: 'a',
        points: 5,
        explanation: {
          codes: ['BAND_CROSSED'],
          text: '累计 52 小时，达到“50 小时”档（累计 10 分），此前已得 5 分，本次 +5',
        },
      },
    ]);
  });

  it('crosses several bands in one entry', () => {
    expect(points(evaluatePeriod(VOLUNTEER, NO_HISTORY, [entry('a', '2026-06-10', { quantity: 25 })]))).toEqual([5]);
  });

  it('gives 0 below the first band and within a band', () => {
    const results = evaluatePeriod(VOLUNTEER, NO_HISTORY, [
      entry('a', '2026-06-01', { quantity: 8 }),
      entry('b', '2026-06-02', { quantity: 4 }),
      entry('c', '2026-06-03', { quantity: 3 }),
    ]);
    expect(points(results)).toEqual([0, 2, 0]);
    expect(results[0]?.explanation).toEqual({ codes: ['BAND_NONE'], text: '累计 8 小时，未达首档“10 小时”，本次 +0' });
    expect(results[2]?.explanation.text).toBe(
      '累计 15 小时，仍在“10 小时”档（累计 2 分），未达下一档“20 小时”，本次 +0',
    );
  });

  it('gives nothing beyond the top band', () => {
    const results = evaluatePeriod(VOLUNTEER, { quantity: 300, points: 50, occurrences: 30 }, [
      entry('a', '2026-12-01', { quantity: 40 }),
    ]);
    expect(points(results)).toEqual([0]);
    expect(results[0]?.explanation.text).toContain('已是最高档');
  });

  it('reaches a band with half hours exactly', () => {
    const entries = Array.from({ length: 4 }, (_, i) => entry(`e${i}`, '2026-06-01', { quantity: 0.5 }));
    expect(points(evaluatePeriod(VOLUNTEER, { quantity: 8, points: 0, occurrences: 2 }, entries))).toEqual([
      0, 0, 0, 2,
    ]);
  });
});

describe('evaluatePeriod: repeat_threshold (parking, 2+ times −10)', () => {
  it('warns the first time and deducts the second and third', () => {
    const results = evaluatePeriod(PARKING, NO_HISTORY, [
      entry('a', '2026-07-01'),
      entry('b', '2026-07-08'),
      entry('c', '2026-07-15'),
    ]);
    expect(points(results)).toEqual([0, -10, -10]);
    expect(results.map((r) => r.explanation.codes)).toEqual([
      ['THRESHOLD_WARNING'],
      ['THRESHOLD_SCORED'],
      ['THRESHOLD_SCORED'],
    ]);
    expect(results[0]?.explanation.text).toBe('第 1 次，记录警告，不扣分（第 2 次起每次扣 10 分）');
    expect(results[1]?.explanation.text).toBe(`第 2 次，达到 2 次，按规定扣 10 分，本次 ${MINUS}10`);
    expect(results[2]?.explanation.text).toBe(`第 3 次，已超过 2 次，按规定每次扣 10 分，本次 ${MINUS}10`);
    expect(Object.is(results[0]?.points, -0)).toBe(false);
  });

  it('numbers occurrences across the year using the history', () => {
    const results = evaluatePeriod(PARKING, { quantity: 0, points: 0, occurrences: 1 }, [entry('a', '2026-08-01')]);
    expect(points(results)).toEqual([-10]);
  });

  it('scores only the threshold-th occurrence when scoreEach is false', () => {
    const item: ScoringItem = { ...PARKING, rule: { type: 'repeat_threshold', threshold: 2, points: 10, scoreEach: false } };
    const results = evaluatePeriod(item, NO_HISTORY, [
      entry('a', '2026-07-01'),
      entry('b', '2026-07-02'),
      entry('c', '2026-07-03'),
    ]);
    expect(points(results)).toEqual([0, -10, 0]);
    expect(results[2]?.explanation.codes).toEqual(['THRESHOLD_AFTER_ONCE']);
  });

  it('decides who is "first" by date, then id, never by typing order', () => {
    const typed = [entry('b', '2026-07-05'), entry('z', '2026-07-01'), entry('a', '2026-07-05')];
    const results = evaluatePeriod(PARKING, NO_HISTORY, typed);
    expect(results.map((r) => r.id)).toEqual(['z', 'a', 'b']);
    expect(points(results)).toEqual([0, -10, -10]);
  });
});

describe('evaluatePeriod: input checks', () => {
  it('rejects duplicate ids, since they would make the order ambiguous', () => {
    expect(errorCode(() => evaluatePeriod(PARKING, NO_HISTORY, [entry('a', '2026-07-01'), entry('a', '2026-07-01')]))).toBe(
      'ENTRY.DUPLICATE_ID',
    );
  });

  it.each(['2026-02-30', '2026-7-1', '', '2026-07-01T00:00'])('rejects occurredOn %j', (occurredOn) => {
    expect(errorCode(() => evaluatePeriod(PARKING, NO_HISTORY, [entry('a', occurredOn)]))).toBe(
      'ENTRY.OCCURRED_ON_INVALID',
    );
  });

  it('rejects an invalid catalogue rule before scoring', () => {
    const broken = { code: 'X', sign: 1, rule: { type: 'fixed', points: 0 } } as ScoringItem;
    expect(errorCode(() => evaluatePeriod(broken, NO_HISTORY, []))).toBe('CATALOG.INVALID_RULE');
    const badSign = { code: 'X', sign: 0, rule: { type: 'fixed', points: 1 } } as unknown as ScoringItem;
    expect(errorCode(() => evaluatePeriod(badSign, NO_HISTORY, []))).toBe('CATALOG.INVALID_RULE');
  });

  it('rejects a negative or fractional history', () => {
    expect(errorCode(() => evaluatePeriod(PARKING, { quantity: 0, points: -1, occurrences: 0 }, []))).toBe(
      'HISTORY.INVALID',
    );
    expect(errorCode(() => evaluatePeriod(PARKING, { quantity: 0, points: 0, occurrences: 0.5 }, []))).toBe(
      'HISTORY.INVALID',
    );
  });

  it('returns nothing for no entries', () => {
    expect(evaluatePeriod(VOLUNTEER, NO_HISTORY, [])).toEqual([]);
  });
});

describe('validateRule', () => {
  it('accepts the reference items', () => {
    for (const item of [VOLUNTEER, DONATION, PARKING, LITTERING, COMMENDATION]) {
      expect(validateRule(item.rule, item.caps)).toEqual([]);
    }
  });

  it.each<[string, unknown, unknown, string]>([
    ['unknown type', { type: 'bonus', points: 1 }, undefined, 'unknown rule type "bonus"'],
    ['not an object', 'fixed', undefined, 'rule must be an object'],
    ['non-integer points', { type: 'fixed', points: 1.5 }, undefined, 'rule.points must be a positive integer'],
    ['zero points', { type: 'fixed', points: 0 }, undefined, 'rule.points must be a positive integer'],
    ['range min = max', { type: 'range', min: 5, max: 5 }, undefined, 'rule.min must be less than rule.max'],
    ['range min > max', { type: 'range', min: 9, max: 5 }, undefined, 'rule.min must be less than rule.max'],
    ['range min 0', { type: 'range', min: 0, max: 5 }, undefined, 'rule.min must be a positive integer'],
    ['empty bands', { type: 'cumulative_bands', unitLabel: '小时', bands: [] }, undefined, 'rule.bands must be a non-empty array'],
    [
      'bands not ascending in atLeast',
      { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 20, points: 2 }, { atLeast: 20, points: 5 }] },
      undefined,
      "rule.bands[1].atLeast must be greater than the previous band's",
    ],
    [
      'bands not ascending in points',
      { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 10, points: 5 }, { atLeast: 20, points: 5 }] },
      undefined,
      "rule.bands[1].points must be greater than the previous band's",
    ],
    [
      'band at zero',
      { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 0, points: 5 }] },
      undefined,
      'rule.bands[0].atLeast must be a number greater than 0',
    ],
    ['threshold 0', { type: 'repeat_threshold', threshold: 0, points: 10, scoreEach: true }, undefined, 'rule.threshold must be a positive integer'],
    ['scoreEach missing', { type: 'repeat_threshold', threshold: 2, points: 10 }, undefined, 'rule.scoreEach must be a boolean'],
    ['unitSize 0', { type: 'per_unit', unitSize: 0, unitLabel: '元', pointsPerUnit: 1 }, undefined, 'rule.unitSize must be a number greater than 0'],
    ['unit label missing', { type: 'per_unit', unitSize: 100, unitLabel: ' ', pointsPerUnit: 1 }, undefined, 'rule.unitLabel must be a non-empty string'],
    ['cap not an integer', { type: 'fixed', points: 5 }, { perMonth: 7.5 }, 'caps.perMonth must be a positive integer'],
    ['cap zero', { type: 'fixed', points: 5 }, { perYear: 0 }, 'caps.perYear must be a positive integer'],
    ['cap below the award', { type: 'fixed', points: 5 }, { perMonth: 4 }, 'caps.perMonth (4) is smaller than the smallest award (5)'],
    ['cap below the range min', { type: 'range', min: 3, max: 9 }, { perYear: 2 }, 'caps.perYear (2) is smaller than the smallest award (3)'],
    [
      'cap below the smallest band step',
      { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 10, points: 4 }, { atLeast: 20, points: 6 }] },
      { perMonth: 1 },
      'caps.perMonth (1) is smaller than the smallest award (2)',
    ],
    ['unknown cap', { type: 'fixed', points: 5 }, { perWeek: 5 }, 'caps.perWeek is not a known cap'],
  ])('reports %s', (_name, rule, caps, problem) => {
    expect(validateRule(rule, caps)).toContain(problem);
  });

  it('accepts a cap equal to the smallest band step', () => {
    const rule = { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 10, points: 4 }, { atLeast: 20, points: 6 }] };
    expect(validateRule(rule, { perMonth: 2 })).toEqual([]);
  });

  it('assertValidRule throws CATALOG.INVALID_RULE with every problem', () => {
    let caught: unknown;
    try {
      assertValidRule({ type: 'range', min: 0, max: 0 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RuleInputError);
    expect((caught as RuleInputError).code).toBe('CATALOG.INVALID_RULE');
    expect((caught as RuleInputError).details?.problems).toEqual([
      'rule.min must be a positive integer',
      'rule.max must be a positive integer',
    ]);
    expect(() => assertValidRule(PARKING.rule)).not.toThrow();
  });
});

describe('explainRule', () => {
  it('describes each rule type in Chinese', () => {
    expect(explainRule(LITTERING)).toBe(`每次 ${MINUS}5 分；每月最多 ${MINUS}10 分`);
    expect(explainRule(DONATION)).toBe('年内累计每 100 元 +1 分；每年最多 +40 分');
    expect(explainRule(COMMENDATION)).toBe('由议事会在 1—20 分之间评定加分并说明理由');
    expect(explainRule(PARKING)).toBe(`年内第 2 次起每次 ${MINUS}10 分，此前记录警告`);
    expect(explainRule(VOLUNTEER)).toBe(
      '年内累计：10 小时 +2，20 小时 +5，50 小时 +10，80 小时 +15，100 小时 +20，150 小时 +25，' +
        '200 小时 +30，250 小时 +40，300 小时 +50（为累计总分，跨档时补足差额）',
    );
  });

  it('describes one-off and immediate thresholds', () => {
    const once: ScoringItem = { ...PARKING, rule: { type: 'repeat_threshold', threshold: 3, points: 5, scoreEach: false } };
    expect(explainRule(once)).toBe(`年内第 3 次 ${MINUS}5 分（仅此一次），此前记录警告`);
    const immediate: ScoringItem = { ...PARKING, rule: { type: 'repeat_threshold', threshold: 1, points: 5, scoreEach: true } };
    expect(explainRule(immediate)).toBe(`年内每次 ${MINUS}5 分`);
  });
});

describe('maxAwardPerYear', () => {
  it('is bounded by caps, the top band, or a once-only threshold', () => {
    expect(maxAwardPerYear(DONATION)).toBe(40);
    expect(maxAwardPerYear(VOLUNTEER)).toBe(50);
    expect(maxAwardPerYear(LITTERING)).toBe(120);
    expect(maxAwardPerYear({ ...PARKING, rule: { type: 'repeat_threshold', threshold: 2, points: 10, scoreEach: false } })).toBe(10);
  });

  it('is null when nothing bounds the item', () => {
    expect(maxAwardPerYear(PARKING)).toBeNull();
    expect(maxAwardPerYear(COMMENDATION)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests

/** Runs a rating year period by period, feeding each period the history the ledger would hold. */
function simulateYear(item: ScoringItem, periods: PeriodEntryInput[][]): EntryScore[][] {
  let history: ItemYearHistory = { ...NO_HISTORY };
  return periods.map((entries) => {
    const results = evaluatePeriod(item, history, entries);
    history = {
      quantity: history.quantity + entries.reduce((sum, e) => sum + (e.quantity ?? 0), 0),
      points: history.points + results.reduce((sum, r) => sum + Math.abs(r.points), 0),
      occurrences: history.occurrences + entries.length,
    };
    return results;
  });
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function smallestAward(rule: Rule): number {
  switch (rule.type) {
    case 'fixed':
    case 'repeat_threshold':
      return rule.points;
    case 'range':
      return rule.min;
    case 'per_unit':
      return rule.pointsPerUnit;
    case 'cumulative_bands':
      return Math.min(...rule.bands.map((b, i) => b.points - (rule.bands[i - 1]?.points ?? 0)));
  }
}

const arbBandsRule: fc.Arbitrary<CumulativeBandsRule> = fc
  .array(fc.record({ hours: fc.integer({ min: 1, max: 800 }), points: fc.integer({ min: 1, max: 15 }) }), {
    minLength: 1,
    maxLength: 9,
  })
  .map((steps) => {
    let atLeastTenths = 0;
    let total = 0;
    const bands = steps.map((step) => {
      atLeastTenths += step.hours;
      total += step.points;
      return { atLeast: atLeastTenths / 10, points: total };
    });
    return { type: 'cumulative_bands' as const, unitLabel: '小时', bands };
  });

const arbRule: fc.Arbitrary<Rule> = fc.oneof(
  fc.record({ type: fc.constant('fixed' as const), points: fc.integer({ min: 1, max: 30 }) }),
  fc
    .integer({ min: 1, max: 20 })
    .chain((min) =>
      fc.record({ type: fc.constant('range' as const), min: fc.constant(min), max: fc.integer({ min: min + 1, max: min + 30 }) }),
    ),
  fc.record({
    type: fc.constant('per_unit' as const),
    unitSize: fc.constantFrom(0.5, 1, 50, 100, 400),
    unitLabel: fc.constant('元'),
    pointsPerUnit: fc.integer({ min: 1, max: 5 }),
  }),
  arbBandsRule,
  fc.record({
    type: fc.constant('repeat_threshold' as const),
    threshold: fc.integer({ min: 1, max: 4 }),
    points: fc.integer({ min: 1, max: 20 }),
    scoreEach: fc.boolean(),
  }),
);

function arbCaps(rule: Rule): fc.Arbitrary<ItemCaps | undefined> {
  const min = smallestAward(rule);
  const cap = fc.option(fc.integer({ min, max: min * 8 }), { nil: undefined });
  return fc.option(
    fc.record({ perMonth: cap, perYear: cap }).map((c): ItemCaps => {
      const caps: ItemCaps = {};
      if (c.perMonth !== undefined) caps.perMonth = c.perMonth;
      if (c.perYear !== undefined) caps.perYear = c.perYear;
      return caps;
    }),
    { nil: undefined },
  );
}

const arbItem: fc.Arbitrary<ScoringItem> = fc
  .tuple(arbRule, fc.constantFrom<ItemSign>(1, -1))
  .chain(([rule, sign]) => arbCaps(rule).map((caps): ScoringItem => (caps ? { code: 'P', sign, rule, caps } : { code: 'P', sign, rule })));

/** One entry's rule-dependent fields; quantities in tenths, as clerks type them. */
function arbEntryFields(rule: Rule): fc.Arbitrary<Pick<PeriodEntryInput, 'quantity' | 'chosenPoints'>> {
  switch (rule.type) {
    case 'per_unit':
    case 'cumulative_bands':
      return fc.integer({ min: 1, max: 2000 }).map((tenths) => ({ quantity: tenths / 10 }));
    case 'range':
      return fc.integer({ min: rule.min, max: rule.max }).map((chosenPoints) => ({ chosenPoints }));
    default:
      return fc.constant({});
  }
}

/**
 * Up to 12 periods of entries. Days come from a small set so that ties on occurredOn (broken by
 * id) are common; ids are unique over the year.
 */
function arbYear(rule: Rule, maxPerPeriod = 6): fc.Arbitrary<PeriodEntryInput[][]> {
  const arbEntry = fc.tuple(fc.integer({ min: 1, max: 3 }), arbEntryFields(rule));
  return fc.array(fc.array(arbEntry, { maxLength: maxPerPeriod }), { minLength: 1, maxLength: 12 }).map((periods) => {
    let next = 0;
    return periods.map((period, p) =>
      period.map(([day, fields]): PeriodEntryInput => {
        next += 1;
        const month = String(p + 1).padStart(2, '0');
        return { id: `e${(next * 7919) % 10007}`, occurredOn: `2026-${month}-0${day}`, ...fields };
      }),
    );
  });
}

const arbItemAndYear = arbItem.chain((item) => arbYear(item.rule).map((year) => ({ item, year })));

describe('rule engine properties', () => {
  it('(a) bands never give more in a year than the top band, however the hours are split', () => {
    fc.assert(
      fc.property(
        arbBandsRule.chain((rule) => arbYear(rule, 8).map((year) => ({ rule, year }))),
        ({ rule, year }) => {
          const item: ScoringItem = { code: 'V', sign: 1, rule };
          const total = sum(simulateYear(item, year).flat().map((r) => r.points));
          const totalTenths = sum(year.flat().map((e) => Math.round((e.quantity ?? 0) * 10)));
          const reached = rule.bands.filter((b) => totalTenths >= Math.round(b.atLeast * 10));
          const top = rule.bands[rule.bands.length - 1]?.points ?? 0;
          expect(total).toBeLessThanOrEqual(top);
          // The year's points telescope to the band its total quantity reached.
          expect(total).toBe(reached[reached.length - 1]?.points ?? 0);
        },
      ),
    );
  });

  it('(b) caps are never exceeded, per month or per year', () => {
    fc.assert(
      fc.property(arbItemAndYear, ({ item, year }) => {
        const perPeriod = simulateYear(item, year).map((results) => sum(results.map((r) => Math.abs(r.points))));
        for (const monthTotal of perPeriod) {
          expect(monthTotal).toBeLessThanOrEqual(item.caps?.perMonth ?? Infinity);
        }
        expect(sum(perPeriod)).toBeLessThanOrEqual(item.caps?.perYear ?? Infinity);
        const bound = maxAwardPerYear(item);
        if (bound !== null) expect(sum(perPeriod)).toBeLessThanOrEqual(bound);
      }),
    );
  });

  it('(c) shuffling the entries gives the same result for every id, in the same order', () => {
    fc.assert(
      fc.property(
        arbItem.chain((item) =>
          arbYear(item.rule, 10)
            .map((year) => year[0] ?? [])
            .chain((entries) =>
              fc
                .shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length })
                .map((shuffled) => ({ item, entries, shuffled })),
            ),
        ),
        fc.record({ quantity: fc.integer({ min: 0, max: 3000 }), occurrences: fc.integer({ min: 0, max: 5 }) }),
        ({ item, entries, shuffled }, past) => {
          const history: ItemYearHistory = { ...past, points: 0 };
          expect(evaluatePeriod(item, history, shuffled)).toEqual(evaluatePeriod(item, history, entries));
        },
      ),
    );
  });

  it('(d) an occurrence before the threshold is a 0-point warning', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        fc.constantFrom<ItemSign>(1, -1),
        (threshold, before, count, scoreEach, sign) => {
          const item: ScoringItem = { code: 'R', sign, rule: { type: 'repeat_threshold', threshold, points: 7, scoreEach } };
          const entries = Array.from({ length: count }, (_, i) => entry(`e${i}`, '2026-07-01'));
          const results = evaluatePeriod(item, { quantity: 0, points: 0, occurrences: before }, entries);
          results.forEach((result, i) => {
            const n = before + i + 1;
            if (n < threshold) {
              expect(result.points).toBe(0);
              expect(result.explanation.codes).toEqual(['THRESHOLD_WARNING']);
            } else {
              const scores = n === threshold || scoreEach;
              expect(result.points).toBe(scores ? sign * 7 : 0);
            }
          });
        },
      ),
    );
  });

  it('(e) per_unit gives min(cap, floor(total / unitSize) × points) however quantity is split', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(50, 100, 400),
        fc.integer({ min: 1, max: 3 }),
        fc.option(fc.integer({ min: 3, max: 60 }), { nil: undefined }),
        fc.array(fc.array(fc.integer({ min: 1, max: 50_000 }), { maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        (unitSize, pointsPerUnit, perYear, centsByPeriod) => {
          const item: ScoringItem = {
            code: 'D',
            sign: 1,
            rule: { type: 'per_unit', unitSize, unitLabel: '元', pointsPerUnit },
            ...(perYear === undefined ? {} : { caps: { perYear } }),
          };
          let id = 0;
          const year = centsByPeriod.map((period, p) =>
            period.map((cents) => entry(`e${id++}`, `2026-${String(p + 1).padStart(2, '0')}-01`, { quantity: cents / 100 })),
          );
          const total = sum(simulateYear(item, year).flat().map((r) => r.points));
          const totalCents = sum(centsByPeriod.flat());
          const uncapped = Math.floor(totalCents / (unitSize * 100)) * pointsPerUnit;
          expect(total).toBe(Math.min(perYear ?? Infinity, uncapped));
        },
      ),
    );
  });

  it('(f) trust items never deduct, breach items never add, and points are integers', () => {
    fc.assert(
      fc.property(arbItemAndYear, ({ item, year }) => {
        for (const result of simulateYear(item, year).flat()) {
          expect(Number.isInteger(result.points)).toBe(true);
          expect(Object.is(result.points, -0)).toBe(false);
          if (item.sign === 1) expect(result.points).toBeGreaterThanOrEqual(0);
          else expect(result.points).toBeLessThanOrEqual(0);
          expect(result.explanation.codes.length).toBeGreaterThan(0);
          expect(result.explanation.text).toMatch(/[\u4e00-\u9fff]/);
        }
      }),
    );
  });
});

describe('entryInputProblems', () => {
  const bands: Rule = { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 10, points: 2 }] };
  const range: Rule = { type: 'range', min: 1, max: 5 };
  const fixed: Rule = { type: 'fixed', points: 5 };
  const codes = (rule: Rule, e: { quantity?: number | null; chosenPoints?: number | null }) => entryInputProblems(rule, e).map((p) => [p.field, p.code]);

  it('names every problem of one entry at once, not only the first', () => {
    expect(codes(bands, { quantity: null, chosenPoints: 3 })).toEqual([
      ['points', 'ENTRY.POINTS_NOT_ALLOWED'],
      ['quantity', 'ENTRY.QUANTITY_REQUIRED'],
    ]);
    expect(codes(range, { quantity: 4, chosenPoints: null })).toEqual([
      ['points', 'ENTRY.POINTS_REQUIRED'],
      ['quantity', 'ENTRY.QUANTITY_NOT_ALLOWED'],
    ]);
    expect(codes(range, { chosenPoints: 9 })).toEqual([['points', 'ENTRY.POINTS_OUT_OF_RANGE']]);
    expect(codes(bands, { quantity: 0 })).toEqual([['quantity', 'ENTRY.QUANTITY_INVALID']]);
  });

  it('finds nothing in a valid entry, and tolerates a count of 1 on items without quantity', () => {
    expect(codes(fixed, { quantity: 1 })).toEqual([]);
    expect(codes(range, { chosenPoints: 5 })).toEqual([]);
    expect(codes(bands, { quantity: 2.5 })).toEqual([]);
  });

  it('agrees with evaluatePeriod, which refuses with the first of them', () => {
    const item: ScoringItem = { code: 'X', sign: 1, rule: bands };
    expect(() => evaluatePeriod(item, NO_HISTORY, [{ id: 'a', occurredOn: '2026-03-01', quantity: null, chosenPoints: 3 }])).toThrow(
      expect.objectContaining({ code: 'ENTRY.POINTS_NOT_ALLOWED' }),
    );
  });
});

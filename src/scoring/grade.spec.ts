import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_GRADE_THRESHOLDS,
  GRADE_FLOOR,
  gradeFor,
  validateGradeThresholds,
  type GradeThresholds,
} from './grade.js';

describe('gradeFor with the default (Wendeng district) table', () => {
  it.each([
    [1_100, 'AAA'],
    [1050, 'AAA'],
    [1049, 'AA'],
    [1030, 'AA'],
    [1029, 'A'],
    [1000, 'A'],
    [960, 'A'],
    [959, 'B'],
    [850, 'B'],
    [849, 'C'],
    [600, 'C'],
    [599, 'D'],
    [0, 'D'],
    [-5_000, 'D'],
    [GRADE_FLOOR, 'D'],
  ])('score %i is %s', (score, grade) => {
    expect(gradeFor(score, DEFAULT_GRADE_THRESHOLDS)).toBe(grade);
  });

  it('uses the default table when none is given', () => {
    expect(gradeFor(1000)).toBe('A');
  });

  it('rejects non-finite scores rather than guessing', () => {
    expect(() => gradeFor(Number.NaN)).toThrow(RangeError);
    expect(() => gradeFor(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('throws on a table without a catch-all instead of returning nothing', () => {
    expect(() => gradeFor(10, [{ grade: 'A', min: 100 }])).toThrow(RangeError);
  });

  it('is monotone: a higher score never gets a lower grade', () => {
    const rank = (grade: string): number => DEFAULT_GRADE_THRESHOLDS.findIndex((t) => t.grade === grade);
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 10_000 }), fc.integer({ min: 0, max: 500 }), (score, delta) => {
        expect(rank(gradeFor(score + delta))).toBeLessThanOrEqual(rank(gradeFor(score)));
      }),
    );
  });

  it('survives a JSON round trip unchanged', () => {
    const roundTripped: unknown = JSON.parse(JSON.stringify(DEFAULT_GRADE_THRESHOLDS));
    expect(roundTripped).toEqual(DEFAULT_GRADE_THRESHOLDS);
    expect(validateGradeThresholds(roundTripped)).toEqual([]);
  });
});

describe('a town-configured star table', () => {
  // Wendeng's stars: 5★ > 1060; 4★ 1040–1060; 3★ 1020–1040; 2★ 990–1020; 1★ 800–990; 0★ < 800.
  const STARS: GradeThresholds = [
    { grade: '5★', min: 1061 },
    { grade: '4★', min: 1040 },
    { grade: '3★', min: 1020 },
    { grade: '2★', min: 990 },
    { grade: '1★', min: 800 },
    { grade: '0★', min: GRADE_FLOOR },
  ];

  it('is valid and grades at its boundaries', () => {
    expect(validateGradeThresholds(STARS)).toEqual([]);
    expect(gradeFor(1061, STARS)).toBe('5★');
    expect(gradeFor(1060, STARS)).toBe('4★');
    expect(gradeFor(1000, STARS)).toBe('2★');
    expect(gradeFor(800, STARS)).toBe('1★');
    expect(gradeFor(799, STARS)).toBe('0★');
  });
});

describe('validateGradeThresholds', () => {
  it('accepts the default table', () => {
    expect(validateGradeThresholds(DEFAULT_GRADE_THRESHOLDS)).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['not an array', { AAA: 1050 }, 'grade thresholds must be an array'],
    ['empty', [], 'grade thresholds must not be empty'],
    ['row not an object', [1050], 'thresholds[0] must be an object'],
    ['blank grade', [{ grade: ' ', min: GRADE_FLOOR }], 'thresholds[0].grade must be a non-empty string'],
    [
      'duplicate grade',
      [{ grade: 'A', min: 900 }, { grade: 'A', min: GRADE_FLOOR }],
      'thresholds[1].grade "A" appears twice',
    ],
    ['fractional min', [{ grade: 'A', min: 900.5 }, { grade: 'B', min: GRADE_FLOOR }], 'thresholds[0].min must be a safe integer'],
    ['null min (what -Infinity becomes in JSON)', [{ grade: 'D', min: null }], 'thresholds[0].min must be a safe integer'],
    [
      'not descending',
      [{ grade: 'A', min: 900 }, { grade: 'B', min: 950 }, { grade: 'C', min: GRADE_FLOOR }],
      "thresholds[1].min must be lower than the previous grade's",
    ],
    [
      'equal mins',
      [{ grade: 'A', min: 900 }, { grade: 'B', min: 900 }, { grade: 'C', min: GRADE_FLOOR }],
      "thresholds[1].min must be lower than the previous grade's",
    ],
    [
      'no catch-all',
      [{ grade: 'A', min: 900 }, { grade: 'B', min: 0 }],
      `the lowest grade must have min ${GRADE_FLOOR} (Number.MIN_SAFE_INTEGER) to catch every score`,
    ],
  ])('reports %s', (_name, table, problem) => {
    expect(validateGradeThresholds(table)).toContain(problem);
  });
});

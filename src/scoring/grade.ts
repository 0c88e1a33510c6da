/**
 * Credit grades derived from a resident's credit score (town base + posted deed points of the
 * rating year). Towns may configure their own table (stars instead of letters, other cut-offs),
 * so thresholds are data, validated before use.
 */

/** Ordered from the highest grade down; a score gets the first grade whose `min` it reaches. */
export type GradeThresholds = Array<{ grade: string; min: number }>;

/**
 * The `min` of the catch-all lowest grade. -Infinity would be the honest value, but
 * JSON.stringify turns it into null and town settings are stored as JSON; the most negative safe
 * integer survives the round trip and no score can fall below it.
 */
export const GRADE_FLOOR = Number.MIN_SAFE_INTEGER;

/** Wendeng's district table (shared/reference/domain-notes.md): D is "≤ 599", i.e. below 600. */
export const DEFAULT_GRADE_THRESHOLDS: GradeThresholds = [
  { grade: 'AAA', min: 1050 },
  { grade: 'AA', min: 1030 },
  { grade: 'A', min: 960 },
  { grade: 'B', min: 850 },
  { grade: 'C', min: 600 },
  { grade: 'D', min: GRADE_FLOOR },
];

export function gradeFor(score: number, thresholds: GradeThresholds = DEFAULT_GRADE_THRESHOLDS): string {
  if (!Number.isFinite(score)) throw new RangeError(`score must be a finite number, got ${score}`);
  for (const { grade, min } of thresholds) {
    if (score >= min) return grade;
  }
  // Only reachable with a table that skipped validateGradeThresholds.
  throw new RangeError(`no grade for score ${score}: the lowest threshold must be ${GRADE_FLOOR}`);
}

/** Problems with a grade table (empty list = valid). */
export function validateGradeThresholds(x: unknown): string[] {
  if (!Array.isArray(x)) return ['grade thresholds must be an array'];
  if (x.length === 0) return ['grade thresholds must not be empty'];
  const problems: string[] = [];
  const seen = new Set<string>();
  let previousMin: number | undefined;
  x.forEach((row: unknown, i: number) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      problems.push(`thresholds[${i}] must be an object`);
      previousMin = undefined;
      return;
    }
    const { grade, min } = row as Record<string, unknown>;
    if (typeof grade !== 'string' || grade.trim() === '') {
      problems.push(`thresholds[${i}].grade must be a non-empty string`);
    } else if (seen.has(grade)) {
      problems.push(`thresholds[${i}].grade "${grade}" appears twice`);
    } else {
      seen.add(grade);
    }
    // Scores are integers, so integer cut-offs say everything a table can mean.
    if (typeof min !== 'number' || !Number.isSafeInteger(min)) {
      problems.push(`thresholds[${i}].min must be a safe integer`);
      previousMin = undefined;
      return;
    }
    if (previousMin !== undefined && min >= previousMin) {
      problems.push(`thresholds[${i}].min must be lower than the previous grade's`);
    }
    previousMin = min;
  });
  const last: unknown = x[x.length - 1];
  const lastMin =
    typeof last === 'object' && last !== null ? (last as Record<string, unknown>)['min'] : undefined;
  if (lastMin !== GRADE_FLOOR) {
    // Without a catch-all, a resident with many deductions would have no grade at all.
    problems.push(`the lowest grade must have min ${GRADE_FLOOR} (Number.MIN_SAFE_INTEGER) to catch every score`);
  }
  return problems;
}

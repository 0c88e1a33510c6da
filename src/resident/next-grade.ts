import { DEFAULT_GRADE_THRESHOLDS, type GradeThresholds } from '@app/scoring/grade';

export interface NextGrade {
  /** The grade above the current one. */
  grade: string;
  /** The credit score it starts at. */
  minScore: number;
  /** Points still needed (≥ 1). */
  pointsNeeded: number;
}

/** The next grade up from this score, and how far it is; null at the top grade. */
export function nextGrade(score: number, thresholds: GradeThresholds | null | undefined): NextGrade | null {
  const table = thresholds && thresholds.length ? thresholds : DEFAULT_GRADE_THRESHOLDS;
  // Ordered from the highest down: the next grade is the lowest one whose min is above the score.
  let next: { grade: string; min: number } | null = null;
  for (const row of table) if (row.min > score) next = row;
  return next ? { grade: next.grade, minScore: next.min, pointsNeeded: next.min - score } : null;
}

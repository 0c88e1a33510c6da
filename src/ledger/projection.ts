/**
 * The projection rules (docs/LEDGER.md, "Projection"): how postings move an account's balance and
 * credit score. Pure, so the writer (LedgerService) and the checker (LedgerVerifier) share them.
 */
import { gradeFor, type GradeThresholds } from '@app/scoring/grade';
import type { PostingKind } from './ledger.entities';

/** Only deeds and their corrections move the credit score; every kind moves the balance. */
export const CREDIT_SCORE_KINDS: ReadonlySet<PostingKind> = new Set<PostingKind>(['deed', 'correction']);

/** A posting counts for the rating year of its period (a December deed posted in January counts for December's year). */
export function ratingYearOfPeriod(period: string): number {
  return Number(period.slice(0, 4));
}

/** How much a posting moves the credit score of an account whose current rating year is `ratingYear`. */
export function creditScoreDelta(kind: PostingKind, points: number, period: string, ratingYear: number): number {
  return CREDIT_SCORE_KINDS.has(kind) && ratingYearOfPeriod(period) === ratingYear ? points : 0;
}

export function gradeOf(creditScore: number, thresholds: GradeThresholds | null | undefined): string {
  return thresholds ? gradeFor(creditScore, thresholds) : gradeFor(creditScore);
}

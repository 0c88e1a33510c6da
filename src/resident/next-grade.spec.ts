import { describe, expect, it } from 'vitest';
import { GRADE_FLOOR } from '@app/scoring/grade';
import { nextGrade } from './next-grade';

describe('nextGrade', () => {
  it('names the grade just above and the points it needs (default table)', () => {
    expect(nextGrade(1000, null)).toEqual({ grade: 'AA', minScore: 1030, pointsNeeded: 30 });
    expect(nextGrade(959, null)).toEqual({ grade: 'A', minScore: 960, pointsNeeded: 1 });
    expect(nextGrade(960, null)).toEqual({ grade: 'AA', minScore: 1030, pointsNeeded: 70 });
    expect(nextGrade(100, null)).toEqual({ grade: 'C', minScore: 600, pointsNeeded: 500 });
  });

  it('is null at the top grade', () => {
    expect(nextGrade(1050, null)).toBeNull();
    expect(nextGrade(5000, null)).toBeNull();
  });

  it("follows a town's own table", () => {
    const stars = [
      { grade: '五星', min: 1100 },
      { grade: '三星', min: 1000 },
      { grade: '一星', min: GRADE_FLOOR },
    ];
    expect(nextGrade(999, stars)).toEqual({ grade: '三星', minScore: 1000, pointsNeeded: 1 });
    expect(nextGrade(1000, stars)).toEqual({ grade: '五星', minScore: 1100, pointsNeeded: 100 });
  });
});

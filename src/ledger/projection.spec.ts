import { describe, expect, it } from 'vitest';
import { shanghaiPeriod, shanghaiYear } from '@app/common/time';
import { creditScoreDelta, gradeOf, ratingYearOfPeriod } from './projection';

describe('projection rules', () => {
  it('only deeds and corrections of the current rating year move the credit score', () => {
    expect(creditScoreDelta('deed', 5, '2026-03', 2026)).toBe(5);
    expect(creditScoreDelta('correction', -5, '2026-03', 2026)).toBe(-5);
    expect(creditScoreDelta('deed', 5, '2025-12', 2026)).toBe(0);
    for (const kind of ['redemption', 'redemption_void', 'opening_balance', 'expiry'] as const) {
      expect(creditScoreDelta(kind, -30, '2026-03', 2026)).toBe(0);
    }
  });

  it('reads years and periods in Asia/Shanghai', () => {
    expect(shanghaiYear(new Date('2025-12-31T16:00:00.000Z'))).toBe(2026);
    expect(shanghaiYear(new Date('2025-12-31T15:59:59.999Z'))).toBe(2025);
    expect(shanghaiPeriod(new Date('2026-03-31T16:30:00.000Z'))).toBe('2026-04');
    expect(ratingYearOfPeriod('2026-11')).toBe(2026);
  });

  it('grades with the town table, or the default one', () => {
    expect(gradeOf(1000, null)).toBe('A');
    expect(gradeOf(1000, [{ grade: '五星', min: 900 }, { grade: '一星', min: Number.MIN_SAFE_INTEGER }])).toBe('五星');
  });
});

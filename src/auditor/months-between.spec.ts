import { describe, expect, it } from 'vitest';
import { MAX_TIMELINESS_MONTHS } from './auditor.dto';
import { monthsBetween } from './auditor.service';

describe('monthsBetween', () => {
  it('lists both ends and crosses a year boundary', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-03', '2026-03')).toEqual(['2026-03']);
  });

  it('stops one past the export limit, so a too-long range is seen without listing it all', () => {
    expect(monthsBetween('2000-01', '2099-12')).toHaveLength(MAX_TIMELINESS_MONTHS + 1);
  });
});

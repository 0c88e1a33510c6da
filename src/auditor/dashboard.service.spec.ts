import { describe, expect, it } from 'vitest';
import { monthsUpTo } from './dashboard.service';

describe('monthsUpTo', () => {
  it('counts back across a year end, oldest first, the month itself last', () => {
    expect(monthsUpTo('2026-02', 6)).toEqual(['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsUpTo('2026-12', 1)).toEqual(['2026-12']);
  });
});

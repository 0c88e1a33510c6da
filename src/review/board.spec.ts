import { describe, expect, it } from 'vitest';
import type { PeriodEntry } from './review.repository';
import { buildBoard, BOARD_LIST_SIZE } from './board';

const entry = (id: string, residentId: string, residentName: string, points: number, status = 'approved'): PeriodEntry => ({
  id,
  residentId,
  residentName,
  itemCode: points >= 0 ? 'T10' : 'B02',
  itemName: points >= 0 ? '参军' : '占道',
  category: 'x',
  sign: points >= 0 ? 1 : -1,
  rule: { type: 'fixed', points: Math.abs(points) },
  caps: null,
  occurredOn: '2026-11-03',
  late: false,
  quantity: null,
  chosenPoints: null,
  points,
  finalPoints: null,
  finalExplanation: null,
  explanation: { codes: ['FIXED'], text: `按规定 ${points} 分` },
  status,
  disputed: false,
  duplicateOf: null,
});

const base = { villageId: 'v', villageName: '东村', period: '2026-11', publishedAt: new Date('2026-12-03T02:00:00Z'), windowEndsAt: new Date('2026-12-10T02:00:00Z') };

describe('buildBoard', () => {
  it('shows approved entries only, by masked name, with totals', () => {
    const b = buildBoard({ ...base, entries: [entry('e1', 'r1', '张三', 5), entry('e2', 'r1', '张三', -5), entry('e3', 'r2', '欧阳娜娜', -10), entry('e4', 'r3', '李四', 20, 'rejected')] });
    // Sorted by masked name in pinyin order (ou before zhang).
    expect(b.residents.map((r) => [r.name, r.total])).toEqual([
      ['欧**娜', -10],
      ['张*', 0],
    ]);
    expect(b.totals).toEqual({ residents: 2, entries: 3, awarded: 5, deducted: -15 });
    expect(JSON.stringify(b)).not.toMatch(/张三|欧阳娜娜|李四/);
    expect(b.howToObject).toContain('2026-12-10 10:00');
  });

  it('uses the close-time assessed points when there are any', () => {
    const e = { ...entry('e1', 'r1', '张三', 0), finalPoints: -10 };
    expect(buildBoard({ ...base, entries: [e] }).residents[0].total).toBe(-10);
  });

  it('red and black lists are the top totals each way, at most BOARD_LIST_SIZE', () => {
    const entries = Array.from({ length: 30 }, (_, i) => entry(`e${i}`, `r${i}`, `王${i}`, i % 2 ? i : -i));
    const b = buildBoard({ ...base, entries });
    expect(b.redList).toHaveLength(BOARD_LIST_SIZE);
    expect(b.redList[0].total).toBe(29);
    expect(b.blackList[0].total).toBe(-28);
    expect(b.redList.every((r) => r.total > 0) && b.blackList.every((r) => r.total < 0)).toBe(true);
  });
});

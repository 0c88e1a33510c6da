import { describe, expect, it } from 'vitest';
import { buildBoard, BOARD_LIST_SIZE, type BoardEntry } from './board-content';

const entry = (id: string, residentId: string, residentName: string, points: number, status = 'approved', householdCode = 'H1'): BoardEntry => ({
  id,
  recordNo: `DC-2611-${id.slice(1).padStart(4, '0')}`,
  residentId,
  residentName,
  householdCode,
  itemCode: points >= 0 ? 'T10' : 'B02',
  itemName: points >= 0 ? '参军' : '占道',
  category: 'x',
  occurredOn: '2026-11-03',
  late: false,
  points,
  finalPoints: null,
  finalExplanation: null,
  explanation: { codes: ['FIXED'], text: `按规定 ${points} 分` },
  status,
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

  it('lists every tie at the last place, so two equal totals are never split by the cut-off', () => {
    // 9 residents above, then three tied for 10th: all three are listed (12 names).
    const entries = [...Array.from({ length: 9 }, (_, i) => entry(`e${i}`, `r${i}`, `王${i}`, 50 - i)), ...[9, 10, 11].map((i) => entry(`e${i}`, `r${i}`, `王${i}`, 20)), entry('e12', 'r12', '王12', 10)];
    const b = buildBoard({ ...base, entries });
    expect(b.redList.map((r) => r.total)).toEqual([50, 49, 48, 47, 46, 45, 44, 43, 42, 20, 20, 20]);
  });

  it('prints the record number on every line, lines of a resident in record-number order', () => {
    const b = buildBoard({ ...base, entries: [entry('e7', 'r1', '张三', 5), entry('e3', 'r1', '张三', 2)] });
    expect(b.residents[0].lines.map((l) => l.recordNo)).toEqual(['DC-2611-0003', 'DC-2611-0007']);
  });

  it('tells two equal masked names apart: by ordinal by default, by household number when the town prints them', () => {
    const entries = [entry('e1', 'r1', '李小明', 5, 'approved', '012'), entry('e2', 'r2', '李大明', 3, 'approved', '034'), entry('e3', 'r3', '王五', 1, 'approved', '056')];
    const plain = buildBoard({ ...base, entries });
    expect(plain.residents.map((r) => r.name)).toEqual(['李*明（1）', '李*明（2）', '王*']);
    expect(JSON.stringify(plain)).not.toMatch(/012|034|056/);
    expect(plain.redList.map((r) => r.name)).toEqual(['李*明（1）', '李*明（2）', '王*']);
    const withHouseholds = buildBoard({ ...base, entries, householdNumbers: true });
    expect(withHouseholds.residents.map((r) => r.name)).toEqual(['李*明（012户）', '李*明（034户）', '王*（056户）']);
  });
});

import { maskName } from '@app/common/mask-name';
import { shanghaiDateTime } from '@app/common/time';
import type { Explanation } from '@app/scoring/rules/rule.types';
import { topRanks } from './ranking';

/** What the board is built from, per entry of the period (review's period entries carry these and more). */
export interface BoardEntry {
  id: string;
  recordNo: string;
  residentId: string;
  residentName: string;
  householdCode: string;
  itemCode: string;
  itemName: string;
  category: string;
  occurredOn: string;
  late: boolean;
  points: number;
  finalPoints: number | null;
  finalExplanation: Explanation | null;
  explanation: Explanation;
  status: string;
}

export interface BoardLine {
  entryId: string;
  /** 记录编号 (DC-2611-0042), the number objections quote; absent on boards published before it. */
  recordNo?: string;
  itemCode: string;
  itemName: string;
  category: string;
  occurredOn: string;
  /** 补录: a deed of an already closed month (its date in occurredOn); absent on older boards. */
  late?: boolean;
  points: number;
  explanation: string;
}

export interface BoardResident {
  /**
   * The only personal data on a board: a masked name, told apart from an equal one on the same
   * board by the household number when the town prints them (towns.board_household_numbers),
   * else by an ordinal: 李*明（1）, 李*明（2）.
   */
  name: string;
  lines: BoardLine[];
  total: number;
}

export interface BoardContent {
  version: 1;
  village: { id: string; name: string };
  period: string;
  publishedAt: string;
  windowEndsAt: string;
  howToObject: string;
  residents: BoardResident[];
  totals: { residents: number; entries: number; awarded: number; deducted: number };
  /** 红榜: the period's highest totals; 黑榜: the largest deductions. */
  redList: Array<{ name: string; total: number }>;
  blackList: Array<{ name: string; total: number }>;
}

/** Places on each list; ties at the last place are all listed (src/board/ranking.ts). */
export const BOARD_LIST_SIZE = 10;

/**
 * Names as printed: masked, and two residents whose masked names are equal are told apart, by
 * household number when the town chose to print them (a town setting, off by default: it is
 * personal data), else by an ordinal in board order. `residents` are in board order.
 */
export function distinctNames(residents: Array<{ masked: string; householdCode: string }>, householdNumbers: boolean): string[] {
  if (householdNumbers) return residents.map((r) => `${r.masked}（${r.householdCode}户）`);
  const count = new Map<string, number>();
  for (const r of residents) count.set(r.masked, (count.get(r.masked) ?? 0) + 1);
  const seen = new Map<string, number>();
  return residents.map((r) => {
    if ((count.get(r.masked) ?? 0) < 2) return r.masked;
    const n = (seen.get(r.masked) ?? 0) + 1;
    seen.set(r.masked, n);
    return `${r.masked}（${n}）`;
  });
}

/**
 * What goes on the 公示栏 at publish: every approved entry by resident (masked names only, no
 * ID numbers or phones), totals, and the red and black lists. Pure, so the same entries always
 * give the same board.
 */
export function buildBoard(input: {
  villageId: string;
  villageName: string;
  period: string;
  publishedAt: Date;
  windowEndsAt: Date;
  entries: BoardEntry[];
  /** The town's board_household_numbers setting at publish. */
  householdNumbers?: boolean;
}): BoardContent {
  const byResident = new Map<string, { masked: string; householdCode: string; lines: BoardLine[] }>();
  for (const e of input.entries) {
    if (e.status !== 'approved') continue;
    const points = e.finalPoints ?? e.points;
    const r = byResident.get(e.residentId) ?? { masked: maskName(e.residentName), householdCode: e.householdCode, lines: [] };
    r.lines.push({ entryId: e.id, recordNo: e.recordNo, itemCode: e.itemCode, itemName: e.itemName, category: e.category, occurredOn: e.occurredOn, late: e.late, points, explanation: (e.finalExplanation ?? e.explanation).text });
    byResident.set(e.residentId, r);
  }
  const sorted = [...byResident.entries()]
    .map(([id, r]) => ({ id, ...r, lines: r.lines.sort((a, b) => ((a.recordNo ?? '') < (b.recordNo ?? '') ? -1 : 1)), total: r.lines.reduce((s, l) => s + l.points, 0) }))
    .sort((a, b) => a.masked.localeCompare(b.masked, 'zh-CN') || (a.id < b.id ? -1 : 1));
  const names = distinctNames(sorted, input.householdNumbers === true);
  const residents = sorted.map((r, i) => ({ id: r.id, name: names[i], lines: r.lines, total: r.total }));
  const lines = residents.flatMap((r) => r.lines);
  const ranked = (sign: 1 | -1) =>
    topRanks(
      residents.filter((r) => sign * r.total > 0).sort((a, b) => sign * (b.total - a.total) || (a.id < b.id ? -1 : 1)),
      BOARD_LIST_SIZE,
    ).map((r) => ({ name: r.name, total: r.total }));
  const windowEnd = input.windowEndsAt.toISOString();
  return {
    version: 1,
    village: { id: input.villageId, name: input.villageName },
    period: input.period,
    publishedAt: input.publishedAt.toISOString(),
    windowEndsAt: windowEnd,
    howToObject: `如对公示内容有异议，请于 ${shanghaiDateTime(input.windowEndsAt)} 前向村信用议事会口头、书面或在平台上提出（注明记录编号、您的姓名与联系方式）。`,
    residents: residents.map(({ name, lines: l, total }) => ({ name, lines: l, total })),
    totals: {
      residents: residents.length,
      entries: lines.length,
      awarded: lines.filter((l) => l.points > 0).reduce((s, l) => s + l.points, 0),
      deducted: lines.filter((l) => l.points < 0).reduce((s, l) => s + l.points, 0),
    },
    redList: ranked(1),
    blackList: ranked(-1),
  };
}

import { maskName } from '@app/common/mask-name';
import type { PeriodEntry } from './review.repository';

export interface BoardLine {
  entryId: string;
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
  /** The only personal data on a board: a masked name. */
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

export const BOARD_LIST_SIZE = 10;

/**
 * What goes on the 公示栏 at publish: every approved entry by resident (masked names only, no
 * ID numbers or phones), totals, and the red and black lists. Pure, so the same entries always
 * give the same board.
 */
export function buildBoard(input: { villageId: string; villageName: string; period: string; publishedAt: Date; windowEndsAt: Date; entries: PeriodEntry[] }): BoardContent {
  const byResident = new Map<string, { name: string; lines: BoardLine[] }>();
  for (const e of input.entries) {
    if (e.status !== 'approved') continue;
    const points = e.finalPoints ?? e.points;
    const r = byResident.get(e.residentId) ?? { name: maskName(e.residentName), lines: [] };
    r.lines.push({ entryId: e.id, itemCode: e.itemCode, itemName: e.itemName, category: e.category, occurredOn: e.occurredOn, late: e.late, points, explanation: (e.finalExplanation ?? e.explanation).text });
    byResident.set(e.residentId, r);
  }
  const residents = [...byResident.entries()]
    .map(([id, r]) => ({ id, name: r.name, lines: r.lines, total: r.lines.reduce((s, l) => s + l.points, 0) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || (a.id < b.id ? -1 : 1));
  const lines = residents.flatMap((r) => r.lines);
  const ranked = (sign: 1 | -1) =>
    residents
      .filter((r) => sign * r.total > 0)
      .sort((a, b) => sign * (b.total - a.total) || (a.id < b.id ? -1 : 1))
      .slice(0, BOARD_LIST_SIZE)
      .map((r) => ({ name: r.name, total: r.total }));
  const windowEnd = input.windowEndsAt.toISOString();
  return {
    version: 1,
    village: { id: input.villageId, name: input.villageName },
    period: input.period,
    publishedAt: input.publishedAt.toISOString(),
    windowEndsAt: windowEnd,
    howToObject: `如对公示内容有异议，请于 ${formatShanghai(input.windowEndsAt)} 前向村信用议事会口头、书面或在平台上提出（注明记录编号、您的姓名与联系方式）。`,
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

function formatShanghai(d: Date): string {
  const s = new Date(d.getTime() + 8 * 3600_000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}

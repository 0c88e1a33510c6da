import { describe, expect, it } from 'vitest';
import { buildBoard, type BoardContent, type BoardEntry } from './board-content';
import { publicBoardParts, renderBoardJson } from './board-json';
import { toPublicBoard, type BoardContext, type BoardCycle, type LiveEntryState } from './board-view';

const entry = (n: number, residentId: string, residentName: string, points: number, explanation: string, late = false): BoardEntry => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  recordNo: `DC-2611-${String(n).padStart(4, '0')}`,
  residentId,
  residentName,
  householdCode: 'H1',
  itemCode: points >= 0 ? 'T10' : 'B02',
  itemName: points >= 0 ? '参军' : '占道',
  category: points >= 0 ? '守信' : '失信',
  occurredOn: '2026-11-03',
  late,
  points,
  finalPoints: null,
  finalExplanation: null,
  explanation: { codes: ['FIXED'], text: explanation },
  status: 'approved',
});

const content: BoardContent = buildBoard({
  villageId: 'a0000000-0000-4000-8000-000000000001',
  villageName: '东村',
  period: '2026-11',
  publishedAt: new Date('2026-12-03T02:00:00Z'),
  windowEndsAt: new Date('2026-12-10T02:00:00Z'),
  entries: [
    entry(1, 'r1', '张三', 5, '按规定 5 分'),
    entry(2, 'r1', '张三', 0, '第 1 次，扣 0 分（警告）'),
    entry(3, 'r2', '欧阳娜娜', -10, '占道 \u2212 10'),
    // What JSON must escape, and a raw U+0001 (the render's mark) inside a text: never taken for a mark.
    entry(4, 'r3', '李"四\\', 20, 'quote " backslash \\ mark \u0001 x \u0001 newline \n tab \t \u2028 end', true),
    entry(5, 'r4', '王五', -3, '"residents":[] in a text'),
  ],
});

const cycle = (state: 'publicized' | 'finalized'): BoardCycle => ({
  state,
  publishedAt: new Date('2026-12-03T02:00:00Z'),
  windowEndsAt: new Date('2026-12-10T02:00:00Z'),
  finalizedAt: state === 'finalized' ? new Date('2026-12-11T00:00:00Z') : null,
  checkpointHash: state === 'finalized' ? 'ab'.repeat(32) : null,
  checkpointVersion: state === 'finalized' ? 2 : null,
});

const context: BoardContext = {
  issuer: { townCode: 'T1', townName: '信义镇', villageCode: 'V01', committee: null, villagePhone: '0571-1', townPhone: null },
  links: { boardUrl: 'http://x/board/T1/V01/2026-11', objectionPageUrl: 'http://x/board/T1/V01/2026-11/objection' },
};

const ids = content.residents.flatMap((r) => r.lines.map((l) => l.entryId));
const now = new Date('2026-12-05T00:00:00Z');

describe('renderBoardJson', () => {
  const live: LiveEntryState[][] = [
    [],
    [{ entryId: ids[0], status: 'approved', disputed: true }],
    [
      { entryId: ids[1], status: 'rejected', disputed: false },
      { entryId: ids[3], status: 'withdrawn', disputed: true },
      { entryId: ids[4], status: 'approved', disputed: true },
    ],
  ];
  for (const state of ['publicized', 'finalized'] as const) {
    for (const [i, states] of live.entries()) {
      it(`is JSON.stringify(toPublicBoard(content)) to the character (${state}, live states #${i})`, () => {
        const stored = publicBoardParts(content) as Buffer;
        expect(renderBoardJson(stored, cycle(state), states, now, context).toString('utf8')).toBe(JSON.stringify(toPublicBoard(content, cycle(state), states, now, context)));
      });
    }
  }

  it('shows each line its own standing (disputed, 撤销) and the rest as approved', () => {
    const stored = publicBoardParts(content) as Buffer;
    const board = JSON.parse(renderBoardJson(stored, cycle('publicized'), [{ entryId: ids[0], status: 'approved', disputed: true }, { entryId: ids[2], status: 'rejected', disputed: false }], now, context).toString('utf8'));
    const lines = (board.residents as Array<{ lines: Array<{ entryId: string; status: string; statusLabel: string }> }>).flatMap((r) => r.lines);
    const byId = new Map(lines.map((l) => [l.entryId, l]));
    expect(byId.get(ids[0])).toMatchObject({ status: 'disputed', statusLabel: '异议处理中' });
    expect(byId.get(ids[2])).toMatchObject({ status: 'revoked', statusLabel: '撤销' });
    expect(byId.get(ids[1])).toMatchObject({ status: 'approved', statusLabel: '已通过' });
    expect(lines).toHaveLength(5);
  });

  it('an empty board too', () => {
    const empty = buildBoard({ villageId: 'v', villageName: '西村', period: '2026-11', publishedAt: new Date('2026-12-03T02:00:00Z'), windowEndsAt: new Date('2026-12-10T02:00:00Z'), entries: [] });
    expect(renderBoardJson(publicBoardParts(empty) as Buffer, cycle('publicized'), [], now, context).toString('utf8')).toBe(JSON.stringify(toPublicBoard(empty, cycle('publicized'), [], now, context)));
  });
});

describe('publicBoardParts', () => {
  it('holds no raw mark but its own: one per line', () => {
    const stored = publicBoardParts(content) as Buffer;
    const text = stored.toString('utf8');
    expect(text.split('\u0001')).toHaveLength(1 + 2 * ids.length);
    expect(text.indexOf('\n')).toBe(text.lastIndexOf('\n'));
  });

  it('is null for content of a board published before lines carried record numbers (rendered from the content)', () => {
    const older: BoardContent = { ...content, residents: content.residents.map((r) => ({ ...r, lines: r.lines.map(({ recordNo: _r, ...l }) => l) })) };
    expect(publicBoardParts(older)).toBeNull();
  });
});

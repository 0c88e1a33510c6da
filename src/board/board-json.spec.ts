import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
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

/** Both forms of a render: the plain bytes, and the gzip form inflated (as a browser does). */
async function forms(stored: Buffer, c: BoardCycle, states: LiveEntryState[]): Promise<{ plain: string; gzip: string; gz: Buffer }> {
  const body = renderBoardJson(stored, c, states, now, context);
  const gz = await body.bytes(true);
  return { plain: (await body.bytes(false)).toString('utf8'), gzip: gunzipSync(gz).toString('utf8'), gz };
}

/** The stored pieces of one copy ('approved' or 'posted'), as the index lays them out. */
function storedPieces(stored: Buffer, copy: 'approved' | 'posted'): Buffer[] {
  const first = stored.indexOf(0x0a);
  const second = stored.indexOf(0x0a, first + 1);
  const index = JSON.parse(stored.toString('utf8', first + 1, second)) as Record<string, Array<[number, number, number]>>;
  let o = second + 1;
  const out: Record<string, Buffer[]> = {};
  for (const k of ['approved', 'posted']) out[k] = index[k].map(([z]) => stored.subarray(o, (o += z)));
  return out[copy];
}

/** A board of `n` residents with long explanations: several pieces of PIECE_BYTES. */
function bigBoard(n: number): BoardContent {
  const entries: BoardEntry[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) entries.push(entry(i * 3 + j + 1, `r${i}`, `居民${i}`, j === 2 ? -5 : 5, `第 ${i} 户第 ${j} 条：按村规民约第 ${(i * 7 + j) % 66} 条记分，说明文字较长以占满一块。`.repeat(2)));
  return buildBoard({ villageId: 'a0000000-0000-4000-8000-000000000009', villageName: '大村', period: '2026-11', publishedAt: new Date('2026-12-03T02:00:00Z'), windowEndsAt: new Date('2026-12-10T02:00:00Z'), entries });
}

describe('renderBoardJson', () => {
  const live: LiveEntryState[][] = [
    [],
    [{ entryId: ids[0], status: 'approved', disputed: true }],
    [
      { entryId: ids[1], status: 'rejected', disputed: false },
      { entryId: ids[3], status: 'withdrawn', disputed: true },
      { entryId: ids[4], status: 'approved', disputed: true },
    ],
    // An entry that is not on the board (withdrawn before publish) changes nothing.
    [{ entryId: '00000000-0000-4000-8000-999999999999', status: 'rejected', disputed: false }],
  ];
  for (const state of ['publicized', 'finalized'] as const) {
    for (const [i, states] of live.entries()) {
      it(`plain and gzip forms are JSON.stringify(toPublicBoard(content)) to the character (${state}, live states #${i})`, async () => {
        const stored = publicBoardParts(content) as Buffer;
        const expected = JSON.stringify(toPublicBoard(content, cycle(state), states, now, context));
        const f = await forms(stored, cycle(state), states);
        expect(f.plain).toBe(expected);
        expect(f.gzip).toBe(expected);
      });
    }
  }

  it('shows each line its own standing (disputed, 撤销) and the rest as approved', async () => {
    const stored = publicBoardParts(content) as Buffer;
    const board = JSON.parse((await forms(stored, cycle('publicized'), [{ entryId: ids[0], status: 'approved', disputed: true }, { entryId: ids[2], status: 'rejected', disputed: false }])).gzip);
    const lines = (board.residents as Array<{ lines: Array<{ entryId: string; status: string; statusLabel: string }> }>).flatMap((r) => r.lines);
    const byId = new Map(lines.map((l) => [l.entryId, l]));
    expect(byId.get(ids[0])).toMatchObject({ status: 'disputed', statusLabel: '异议处理中' });
    expect(byId.get(ids[2])).toMatchObject({ status: 'revoked', statusLabel: '撤销' });
    expect(byId.get(ids[1])).toMatchObject({ status: 'approved', statusLabel: '已通过' });
    expect(lines).toHaveLength(5);
  });

  it('an empty board too', async () => {
    const empty = buildBoard({ villageId: 'v', villageName: '西村', period: '2026-11', publishedAt: new Date('2026-12-03T02:00:00Z'), windowEndsAt: new Date('2026-12-10T02:00:00Z'), entries: [] });
    const f = await forms(publicBoardParts(empty) as Buffer, cycle('publicized'), []);
    expect(f.plain).toBe(JSON.stringify(toPublicBoard(empty, cycle('publicized'), [], now, context)));
    expect(f.gzip).toBe(f.plain);
  });

  it('a large board (several pieces): any live states, either state, both forms are the board built from its content', async () => {
    const big = bigBoard(900);
    const stored = publicBoardParts(big) as Buffer;
    expect(storedPieces(stored, 'approved').length).toBeGreaterThan(3);
    const bigIds = big.residents.flatMap((r) => r.lines.map((l) => l.entryId));
    const state = fc.record({ i: fc.nat(bigIds.length - 1), status: fc.constantFrom('approved', 'rejected', 'withdrawn'), disputed: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('publicized' as const, 'finalized' as const), fc.uniqueArray(state, { selector: (s) => s.i, maxLength: 12 }), async (st, picked) => {
        const states = picked.map((p) => ({ entryId: bigIds[p.i], status: p.status, disputed: p.disputed }));
        const expected = JSON.stringify(toPublicBoard(big, cycle(st), states, now, context));
        const f = await forms(stored, cycle(st), states);
        expect(f.gzip).toBe(expected);
        expect(f.plain).toBe(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('a board with hundreds of lines revoked or under objection (one pass over the lines, not a search per line)', async () => {
    const big = bigBoard(900);
    const stored = publicBoardParts(big) as Buffer;
    const states = big.residents.flatMap((r) => r.lines).filter((_, i) => i % 9 === 0).map((l, i) => ({ entryId: l.entryId, status: i % 2 ? 'rejected' : 'approved', disputed: i % 2 === 0 }));
    expect(states.length).toBe(300);
    for (const st of ['publicized', 'finalized'] as const) {
      const expected = JSON.stringify(toPublicBoard(big, cycle(st), states, now, context));
      const f = await forms(stored, cycle(st), states);
      expect(f.gzip).toBe(expected);
      expect(f.plain).toBe(expected);
    }
  });

  it('sends the stored pieces as they are: only a piece with a changed line is compressed again', async () => {
    const big = bigBoard(900);
    const stored = publicBoardParts(big) as Buffer;
    for (const [st, copy] of [['publicized', 'approved'], ['finalized', 'posted']] as const) {
      const pieces = storedPieces(stored, copy);
      const quiet = await forms(stored, cycle(st), []);
      for (const p of pieces) expect(quiet.gz.indexOf(p)).toBeGreaterThan(0);
      // A revoked line in the last resident: every piece but the last is still sent as stored.
      const last = big.residents[big.residents.length - 1].lines[0].entryId;
      const one = await forms(stored, cycle(st), [{ entryId: last, status: 'rejected', disputed: false }]);
      expect(pieces.slice(0, -1).every((p) => one.gz.indexOf(p) > 0)).toBe(true);
      expect(one.gz.indexOf(pieces[pieces.length - 1])).toBe(-1);
      expect(JSON.parse(one.gzip).residents.at(-1).lines[0]).toMatchObject({ status: 'revoked', statusLabel: '撤销' });
    }
  });

  it('each form has its own ETag, stable across renders and changed by a live change', () => {
    const stored = publicBoardParts(content) as Buffer;
    const a = renderBoardJson(stored, cycle('publicized'), [], now, context);
    const b = renderBoardJson(stored, cycle('publicized'), [], now, context);
    const c = renderBoardJson(stored, cycle('publicized'), [{ entryId: ids[0], status: 'approved', disputed: true }], now, context);
    expect(a.etag(true)).toBe(b.etag(true));
    expect(a.etag(false)).toBe(b.etag(false));
    expect(a.etag(true)).not.toBe(a.etag(false));
    expect(c.etag(true)).not.toBe(a.etag(true));
    expect(c.etag(false)).not.toBe(a.etag(false));
  });
});

describe('publicBoardParts', () => {
  it('holds the head, an index of both copies, and the pieces the index names, nothing more', () => {
    const stored = publicBoardParts(content) as Buffer;
    const first = stored.indexOf(0x0a);
    const second = stored.indexOf(0x0a, first + 1);
    const { residents: _r, ...head } = content;
    expect(JSON.parse(stored.toString('utf8', 0, first))).toEqual(JSON.parse(JSON.stringify(head)));
    const index = JSON.parse(stored.toString('utf8', first + 1, second)) as Record<string, Array<[number, number, number]>>;
    const total = [...index.approved, ...index.posted].reduce((n, [z]) => n + z, 0);
    expect(stored.length).toBe(second + 1 + total);
  });

  it('is null for content of a board published before lines carried record numbers (rendered from the content)', () => {
    const older: BoardContent = { ...content, residents: content.residents.map((r) => ({ ...r, lines: r.lines.map(({ recordNo: _r, ...l }) => l) })) };
    expect(publicBoardParts(older)).toBeNull();
  });
});

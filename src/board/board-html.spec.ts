import { describe, expect, it } from 'vitest';
import type { BoardContent } from './board-content';
import { escapeHtml, renderBoardHtml } from './board-html';
import { toPublicBoard, type BoardContext } from './board-view';
import { printedList, SHEET, SHEET_LAYOUT } from './board-html';

const EVIL = `<script>alert("x")</script>&'`;

function content(): BoardContent {
  return {
    version: 1,
    village: { id: '11111111-1111-4111-8111-111111111111', name: `${EVIL}村` },
    period: '2026-03',
    publishedAt: '2026-04-08T02:00:00.000Z',
    windowEndsAt: '2026-04-15T02:00:00.000Z',
    howToObject: `请联系 ${EVIL}`,
    residents: [
      { name: `李*${EVIL}`, total: 5, lines: [{ entryId: 'e1', itemCode: 'T10', itemName: `参军${EVIL}`, category: '守信', occurredOn: '2026-03-02', points: 5, explanation: EVIL }] },
      { name: '王*锤', total: -2, lines: [{ entryId: 'e2', itemCode: 'B02', itemName: '乱扔垃圾', category: '失信', occurredOn: '2026-03-03', points: -2, explanation: '' }] },
    ],
    totals: { residents: 2, entries: 2, awarded: 5, deducted: -2 },
    redList: [{ name: `李*${EVIL}`, total: 5 }],
    blackList: [{ name: '王*锤', total: -2 }],
  };
}

describe('printable board HTML', () => {
  it('escapes every value that comes from the board', () => {
    expect(escapeHtml(EVIL)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const cycle = { state: 'publicized' as const, publishedAt: new Date('2026-04-08T02:00:00Z'), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: null, checkpointHash: null };
    const html = renderBoardHtml(toPublicBoard(content(), cycle, [{ entryId: 'e2', status: 'rejected', disputed: false }], new Date('2026-04-09T00:00:00Z')));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(`"x"`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;村2026年3月信义积分公示');
    expect(html).toContain('异议期至 2026-04-15 10:00 止');
    expect(html).toMatch(/<tr class="line revoked" data-entry-id="e2"[^>]*>[\s\S]*?撤销/);
  });

  it('shows the checkpoint only once finalized, and never the raw content fields it does not know', () => {
    const c = { ...content(), secret: '110101199003077777' } as BoardContent;
    const fin = toPublicBoard(c, { state: 'finalized', publishedAt: new Date(), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: new Date('2026-04-15T02:05:00Z'), checkpointHash: 'ab'.repeat(32) }, [], new Date());
    expect(fin.checkpointHash).toBe('ab'.repeat(32));
    expect(JSON.stringify(fin)).not.toContain('110101199003077777');
    expect(renderBoardHtml(fin)).toContain('ab'.repeat(32));
    const pub = toPublicBoard(c, { state: 'publicized', publishedAt: new Date(), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: null, checkpointHash: 'cd'.repeat(32) }, [], new Date('2026-04-16T00:00:00Z'));
    expect(pub.checkpointHash).toBeNull();
    expect(pub.objectionOpen).toBe(false);
  });

  it('prints a version 2 checkpoint as a Merkle root, short form and full hex; version 1 as the hash it was', () => {
    const root = '0123456789abcdef'.repeat(4);
    const finalized = { state: 'finalized' as const, publishedAt: new Date(), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: new Date('2026-04-15T02:05:00Z'), checkpointHash: root };
    const v2 = toPublicBoard(content(), { ...finalized, checkpointVersion: 2 }, [], new Date());
    expect(v2.checkpoint).toEqual({ version: 2, root, rootShort: '0123 4567 89ab cdef' });
    const html = renderBoardHtml(v2);
    expect(html).toContain('入账核验码（默克尔树根）：<span class="checkpoint checkpoint-short">0123 4567 89ab cdef</span>');
    expect(html).toContain(`完整核验码：<span class="checkpoint">${root}</span>`);
    expect(html).toContain('记录核验');
    const v1 = toPublicBoard(content(), { ...finalized, checkpointVersion: 1 }, [], new Date());
    expect(v1.checkpoint).toEqual({ version: 1, root, rootShort: '0123 4567 89ab cdef' });
    expect(renderBoardHtml(v1)).toContain(`核验码（校验哈希）：<span class="checkpoint">${root}</span>`);
    expect(renderBoardHtml(v1)).not.toContain('默克尔');
    expect(toPublicBoard(content(), { ...finalized, state: 'publicized', checkpointVersion: 2 }, [], new Date()).checkpoint).toBeNull();
  });

  it('marks a late line (补录) with its deed date; a board stored before the flag shows none', () => {
    const c = content();
    c.residents[1].lines[0] = { ...c.residents[1].lines[0], occurredOn: '2026-02-27', late: true };
    const cycle = { state: 'publicized' as const, publishedAt: new Date('2026-04-08T02:00:00Z'), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: null, checkpointHash: null };
    const board = toPublicBoard(c, cycle, [], new Date('2026-04-09T00:00:00Z'));
    expect(board.residents.map((r) => r.lines[0].late)).toEqual([false, true]);
    const html = renderBoardHtml(board);
    expect(html).toContain('B02 · 补录（发生于 2026-02-27）');
    expect(html.match(/补录/g)).toHaveLength(1);
  });
});

describe('a 0-point breach on the board', () => {
  it('says 警告 in the JSON and the printed points cell, not "0 已通过"', () => {
    const c = content();
    c.residents[1]?.lines.push({ entryId: 'e3', itemCode: 'B01', itemName: '乱停车辆', category: '失信', occurredOn: '2026-03-04', points: 0, explanation: '第 1 次，记录警告，不扣分（第 2 次起每次扣 10 分）' });
    c.residents[0]?.lines.push({ entryId: 'e4', itemCode: 'T01', itemName: '志愿服务', category: '守信', occurredOn: '2026-03-04', points: 0, explanation: '累计 4 小时，未达首档“10 小时”' });
    const cycle = { state: 'publicized' as const, publishedAt: new Date('2026-04-08T02:00:00Z'), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: null, checkpointHash: null };
    const board = toPublicBoard(c, cycle, [], new Date('2026-04-09T00:00:00Z'));
    const labels = board.residents.flatMap((r) => r.lines.map((l) => [l.entryId, l.pointsLabel]));
    expect(labels).toEqual([
      ['e1', '+5'],
      ['e4', '0'],
      ['e2', '-2'],
      ['e3', '警告'],
    ]);
    expect(renderBoardHtml(board)).toMatch(/data-entry-id="e3"[^>]*>[\s\S]*?<td class="num points">警告<\/td>/);
  });
});

const CONTEXT: BoardContext = {
  issuer: { townCode: 'HOUYING', townName: '侯营镇', villageCode: 'DC', committee: null, villagePhone: '0631-8123456', townPhone: '12345' },
  links: { boardUrl: 'https://xinyi.example.cn/board/HOUYING/DC/2026-03', objectionPageUrl: 'https://xinyi.example.cn/board/HOUYING/DC/2026-03/objection' },
};
const OPEN = { state: 'publicized' as const, publishedAt: new Date('2026-04-08T02:00:00Z'), windowEndsAt: new Date('2026-04-15T02:00:00Z'), finalizedAt: null, checkpointHash: null };

function bigContent(lines: number): BoardContent {
  const c = content();
  c.residents = Array.from({ length: lines }, (_, i) => ({
    name: `张*${i}`,
    total: 5,
    lines: [{ entryId: `e${i}`, recordNo: `DC-2603-${String(i + 1).padStart(4, '0')}`, itemCode: 'T10', itemName: '参军', category: '守信', occurredOn: '2026-03-02', points: 5, explanation: '' }],
  }));
  return c;
}

describe('the printed board: sheets, page numbers, issuer, QR codes', () => {
  it('numbers every sheet 第 k 页 / 共 N 页, with as many sheets as the rows need', () => {
    const html = renderBoardHtml(toPublicBoard(bigContent(60), OPEN, [], new Date('2026-04-09T00:00:00Z'), CONTEXT));
    const sheets = html.match(/<section class="sheet" data-page="\d+">/g) ?? [];
    const n = sheets.length;
    // 16 rows fit under the big first header, 22 on each later sheet; then totals, lists, closing.
    expect(Math.floor((SHEET_LAYOUT.firstBodyMm - SHEET.theadBudgetMm) / SHEET.rowBudgetMm)).toBe(16);
    expect(n).toBeGreaterThanOrEqual(3);
    for (let k = 1; k <= n; k++) expect(html).toContain(`第 ${k} 页 / 共 ${n} 页`);
    expect(html).not.toContain(`第 ${n + 1} 页`);
    // Every line once, each with its record number; a small board is one sheet.
    expect(html.match(/<tr class="line /g)).toHaveLength(60);
    expect(html).toContain('<td class="rec">DC-2603-0060</td>');
    const small = renderBoardHtml(toPublicBoard(content(), OPEN, [], new Date('2026-04-09T00:00:00Z'), CONTEXT));
    expect(small).toContain('第 1 页 / 共 1 页');
  });

  it('prints the issuer, phones, dates, a stamp area and two QR codes (inline SVG), and no API address', () => {
    const html = renderBoardHtml(toPublicBoard(content(), OPEN, [], new Date('2026-04-09T00:00:00Z'), CONTEXT));
    expect(html).toContain('发布单位：&lt;script&gt;');
    expect(html).toContain('联系电话：0631-8123456');
    expect(html).toContain('监督电话：12345');
    expect(html).toContain('公示期：2026-04-08 10:00 至 2026-04-15 10:00　异议截止：2026-04-15 10:00');
    expect(html).toContain('（盖章处）');
    expect(html).toContain('负责人（签字）');
    expect(html.match(/<svg [^>]*role="img"/g)).toHaveLength(2);
    expect(html).toContain('https://xinyi.example.cn/board/HOUYING/DC/2026-03/objection');
    expect(html).not.toMatch(/\/api\/v1|POST /);
  });

  it('ranks ties equal on the printed lists: 第 1 名, 第 2 名, 第 2 名, 第 4 名', () => {
    const c = content();
    c.redList = [
      { name: '甲*', total: 50 },
      { name: '乙*', total: 40 },
      { name: '丙*', total: 40 },
      { name: '丁*', total: 30 },
    ];
    const board = toPublicBoard(c, OPEN, [], new Date('2026-04-09T00:00:00Z'), CONTEXT);
    expect(board.redList.map((x) => x.rank)).toEqual([1, 2, 2, 4]);
    const cells = [...renderBoardHtml(board).matchAll(/<td class="num red">(第 \d+ 名)<\/td>/g)].map((m) => m[1]);
    expect(cells).toEqual(['第 1 名', '第 2 名', '第 2 名', '第 4 名']);
  });

  it('repeats a resident\'s name (续) when their lines run onto the next sheet', () => {
    const c = content();
    c.residents = [{ name: '王*锤', total: 50, lines: Array.from({ length: 30 }, (_, i) => ({ entryId: `e${i}`, recordNo: `DC-2603-${String(i + 1).padStart(4, '0')}`, itemCode: 'T10', itemName: '参军', category: '守信', occurredOn: '2026-03-02', points: 5, explanation: '' })) }];
    const html = renderBoardHtml(toPublicBoard(c, OPEN, [], new Date('2026-04-09T00:00:00Z'), CONTEXT));
    expect(html).toContain('<span class="one">王*锤（续）</span>');
  });
});

describe('the printed red and black lists', () => {
  const ranked = (...totals: number[]) => {
    let rank = 0;
    return totals.map((total, i) => ({ rank: i === 0 || total !== totals[i - 1] ? (rank = i + 1) : rank, name: `n${i}`, total }));
  };

  it('prints every name while they fit, ties included', () => {
    expect(printedList(ranked(9, 8, 8, 7), 20)).toHaveLength(4);
  });

  it('prints a tie group that would not fit as one line with its size, and nothing after it', () => {
    const list = ranked(10, 10, ...Array<number>(30).fill(5));
    expect(printedList(list, 20)).toEqual([list[0], list[1], { rank: 3, total: 5, count: 30 }]);
    const html = renderBoardHtml({ ...toPublicBoard(content(), OPEN, [], new Date('2026-04-09T00:00:00Z'), CONTEXT), redList: list });
    expect(html).toContain('<td class="num red">第 3 名</td><td class="red"><span class="one">30 人并列（见明细）</span></td><td class="num">+5</td>');
  });
});

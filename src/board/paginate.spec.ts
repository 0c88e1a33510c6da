import { describe, expect, it } from 'vitest';
import { paginate, runsOf, type PrintItem } from './paginate';

const rows = (n: number, group = 'entries', heightMm = 10): Array<PrintItem<number>> => Array.from({ length: n }, (_, i) => ({ group, heightMm, data: i }));
const layout = { firstBodyMm: 100, bodyMm: 200, groupHeaderMm: { entries: 10, lists: 20 } };

describe('paginating the printed board into A4 sheets', () => {
  it('fills the first sheet, then the taller later ones, counting the header on each', () => {
    // First: 10 header + 9 rows = 100; later: 10 + 19 rows = 200.
    const sheets = paginate(rows(9 + 19 + 5), layout);
    expect(sheets.map((s) => s.length)).toEqual([9, 19, 5]);
    expect(sheets.flat().map((r) => r.data)).toEqual(Array.from({ length: 33 }, (_, i) => i));
  });

  it('an exact fit stays on the sheet; one more row starts a new one', () => {
    expect(paginate(rows(9), layout).map((s) => s.length)).toEqual([9]);
    expect(paginate(rows(10), layout).map((s) => s.length)).toEqual([9, 1]);
  });

  it('always gives one sheet, even with nothing to print', () => {
    expect(paginate([], layout)).toEqual([[]]);
  });

  it('a second group pays its own header where it starts, and again on the next sheet', () => {
    // Sheet 1: entries header 10 + 5 rows = 60; lists header 20 + 2 rows = 40 → 100.
    const items = [...rows(5), ...rows(5, 'lists')];
    const sheets = paginate(items, layout);
    expect(sheets.map((s) => s.map((r) => r.group))).toEqual([
      ['entries', 'entries', 'entries', 'entries', 'entries', 'lists', 'lists'],
      ['lists', 'lists', 'lists'],
    ]);
    expect(runsOf(sheets[0]).map((r) => [r.group, r.items.length])).toEqual([
      ['entries', 5],
      ['lists', 2],
    ]);
  });

  it('a block taller than what is left moves whole to the next sheet', () => {
    const items: Array<PrintItem<number>> = [...rows(8), { group: 'closing', heightMm: 50, data: 99 }];
    const sheets = paginate(items, layout);
    expect(sheets.map((s) => s.length)).toEqual([8, 1]);
    expect(sheets[1][0].data).toBe(99);
  });

  it('rows per sheet for the real board: a 60-line village is 3 sheets (rows 10.6 mm, header 8.6 mm)', () => {
    const real = { firstBodyMm: 182, bodyMm: 250, groupHeaderMm: { entries: 8.6 } };
    const sheets = paginate(rows(60, 'entries', 10.6), real);
    // floor((182 - 8.6) / 10.6) = 16, floor((250 - 8.6) / 10.6) = 22.
    expect(sheets.map((s) => s.length)).toEqual([16, 22, 22]);
  });
});

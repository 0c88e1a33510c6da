import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import ExcelJS from 'exceljs';
import type { Worksheet } from 'exceljs';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { XlsxStream } from './xlsx-stream';
import {
  buildErrorReport,
  buildTemplate,
  ERROR_REPORT_COLUMN,
  cell,
  columnLetter,
  parseTable,
  type CellValue,
  type ColumnSpec,
  type ParsedTable,
  type ParseTableOptions,
  type RowError,
} from './tabular';

// ---------------------------------------------------------------------------------------------
// Fixtures

interface Entry {
  idNumber: string;
  name: string;
  quantity: number;
  occurredOn: string;
  note: string | null;
}

const ID_PATTERN = /^\d{17}[\dX]$/;

const COLUMNS: ColumnSpec<unknown>[] = [
  {
    key: 'idNumber',
    header: '身份证号',
    aliases: ['idNumber', '身份证'],
    required: true,
    example: '110101199003077777',
    parse: cell.string({
      max: 18,
      pattern: ID_PATTERN,
      message: '不是 18 位身份证号 / not an 18-character ID number',
      transform: (s) => s.toUpperCase(),
    }),
  },
  { key: 'name', header: '姓名', aliases: ['name'], required: true, example: '张三', parse: cell.string({ max: 10 }) },
  {
    key: 'quantity',
    header: '数量（小时）',
    aliases: ['quantity'],
    required: true,
    example: '2.5',
    parse: cell.decimal({ min: 0, max: 1000, maxDecimals: 2 }),
  },
  { key: 'occurredOn', header: '日期', aliases: ['date'], required: true, example: '2026-03-05', parse: cell.date() },
  { key: 'note', header: '备注', aliases: ['note'], required: false, example: '帮助邻居', parse: cell.string({ max: 50, multiline: true }) },
];

const HEADER = '身份证号,姓名,数量（小时）,日期,备注';

const csv = (content: string | Buffer, originalname = 'entries.csv') => ({
  buffer: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'),
  originalname,
  mimetype: 'text/csv',
});

async function xlsx(build: (ws: Worksheet, wb: ExcelJS.Workbook) => void, originalname = 'entries.xlsx') {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  build(ws, wb);
  return { buffer: Buffer.from(await wb.xlsx.writeBuffer()), originalname };
}

/** Writes rows from row 1; undefined leaves a cell empty. */
const writeRows = (ws: Worksheet, rows: unknown[][]) => rows.forEach((r, i) => (ws.getRow(i + 1).values = r as ExcelJS.CellValue[]));

const parseEntries = (file: { buffer: Buffer; originalname: string }, opts?: ParseTableOptions) =>
  parseTable<Entry>(file, COLUMNS, opts);

const codes = (t: ParsedTable<unknown>) => t.errors.map((e) => e.code);

/**
 * A zip of one entry holding `actual` zero bytes, deflated, whose local header and central
 * directory both claim `claimed` bytes: the shape of a zip bomb aimed at a size check that
 * believes the directory.
 */
function lyingZip(actual: number, claimed: number): Buffer {
  const data = deflateRawSync(Buffer.alloc(actual), { level: 9 });
  const name = Buffer.from('xl/worksheets/sheet1.xml');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(claimed, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(claimed, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
const at = (t: ParsedTable<unknown>) => t.errors.map((e) => [e.row, e.column, e.code]);

/** Counts calls to a parser, to prove work stopped early. */
function counting<T>(inner: (raw: CellValue) => ReturnType<ColumnSpec<T>['parse']>) {
  const spy = { calls: 0, seen: [] as CellValue[] };
  const parse = (raw: CellValue) => {
    spy.calls++;
    spy.seen.push(raw);
    return inner(raw);
  };
  return { spy, parse };
}

const EXPECTED_HAPPY: Array<{ row: number; values: Entry }> = [
  { row: 2, values: { idNumber: '110101199003077777', name: '张三', quantity: 2.5, occurredOn: '2026-03-05', note: '帮助邻居' } },
  { row: 3, values: { idNumber: '11010119900307888X', name: '李四', quantity: 1, occurredOn: '2026-03-06', note: null } },
];

// ---------------------------------------------------------------------------------------------

describe('parseTable: happy path', () => {
  it('parses a CSV into typed rows', async () => {
    const t = await parseEntries(csv(`${HEADER}\r\n110101199003077777,张三,2.5,2026-03-05,帮助邻居\r\n11010119900307888x, 李四 ,1,2026/3/6,\r\n`));
    expect(t.errors).toEqual([]);
    expect(t.format).toBe('csv');
    expect(t.dataRowCount).toBe(2);
    expect(t.rows).toEqual(EXPECTED_HAPPY);
  });

  it('gives the same rows for the same sheet saved as .xlsx (date cells, serials, numbers)', async () => {
    const fromCsv = await parseEntries(csv(`${HEADER}\n110101199003077777,张三,2.5,2026-03-05,帮助邻居\n11010119900307888x,李四,1,2026/3/6,\n`));
    const fromXlsx = await parseEntries(
      await xlsx((ws) =>
        writeRows(ws, [
          HEADER.split(','),
          ['110101199003077777', '张三', 2.5, new Date(Date.UTC(2026, 2, 5)), '帮助邻居'],
          // A date whose cell lost its date format arrives as the Excel serial number.
          ['11010119900307888x', ' 李四 ', 1, 46087, undefined],
        ]),
      ),
    );
    expect(fromXlsx.errors).toEqual([]);
    expect(fromXlsx.format).toBe('xlsx');
    expect(fromXlsx.rows).toEqual(EXPECTED_HAPPY);
    expect(fromXlsx.rows).toEqual(fromCsv.rows);
  });

  it('fills columns missing from an optional header with null', async () => {
    const t = await parseEntries(csv('身份证号,姓名,数量（小时）,日期\n110101199003077777,张三,2,2026-03-05\n'));
    expect(t.errors).toEqual([]);
    expect(t.rows[0]?.values.note).toBeNull();
  });

  it('never calls a parser for an empty optional cell, and hands it trimmed content', async () => {
    const { spy, parse } = counting(cell.string({ max: 10 }));
    const columns: ColumnSpec<unknown>[] = [
      { key: 'a', header: 'A', required: true, parse: cell.string({ max: 10 }) },
      { key: 'b', header: 'B', required: false, parse },
    ];
    const t = await parseTable(csv('A,B\nx,  \ny,  z  \n'), columns);
    expect(t.rows.map((r) => r.values)).toEqual([
      { a: 'x', b: null },
      { a: 'y', b: 'z' },
    ]);
    expect(spy.seen).toEqual(['z']);
  });

  it('accepts a file named .xls or .txt when the content says CSV or xlsx', async () => {
    const tsv = await parseEntries(csv(`${HEADER.replaceAll(',', '\t')}\n110101199003077777\t张三\t1\t2026-03-05\t\n`, 'export.xls'));
    expect(tsv.errors).toEqual([]);
    expect(tsv.format).toBe('csv');
    const book = await xlsx((ws) => writeRows(ws, [HEADER.split(','), ['110101199003077777', '张三', 1, '2026-03-05']]), 'upload.txt');
    const t = await parseEntries(book);
    expect(t.format).toBe('xlsx');
    expect(t.rows).toHaveLength(1);
  });
});

describe('parseTable: CSV decoding', () => {
  it('strips a UTF-8 BOM so the first header still matches', async () => {
    const t = await parseEntries(csv(Buffer.from(`\uFEFF${HEADER}\n110101199003077777,张三,1,2026-03-05,\n`, 'utf8')));
    expect(t.errors).toEqual([]);
    expect(t.rows[0]?.values.idNumber).toBe('110101199003077777');
  });

  it('decodes GB18030/GBK, as Excel in China saves CSV', async () => {
    // '姓名,数量\r\n张三,3' in GBK: 姓=D0D5 名=C3FB 数=CAFD 量=C1BF 张=D5C5 三=C8FD.
    const gbk = Buffer.from([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0xca, 0xfd, 0xc1, 0xbf, 0x0d, 0x0a, 0xd5, 0xc5, 0xc8, 0xfd, 0x2c, 0x33]);
    const columns: ColumnSpec<unknown>[] = [
      { key: 'name', header: '姓名', required: true, parse: cell.string({ max: 10 }) },
      { key: 'count', header: '数量', required: true, parse: cell.integer({ min: 0, max: 10 }) },
    ];
    const t = await parseTable(csv(gbk), columns);
    expect(t.errors).toEqual([]);
    expect(t.rows).toEqual([{ row: 2, values: { name: '张三', count: 3 } }]);
  });

  it('reads UTF-16 "Unicode text" (tab-separated) as Excel saves it', async () => {
    const text = `${HEADER.replaceAll(',', '\t')}\r\n110101199003077777\t张三\t1\t2026-03-05\t备\r\n`;
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const t = await parseEntries(csv(le, 'entries.txt'));
    expect(t.errors).toEqual([]);
    expect(t.rows[0]?.values).toMatchObject({ name: '张三', note: '备' });
  });

  it.each([
    ['tab', '\t'],
    ['semicolon', ';'],
  ])('detects a %s delimiter from a header line without commas', async (_name, d) => {
    const t = await parseEntries(csv(`${HEADER.replaceAll(',', d)}\n110101199003077777${d}张三${d}1,5${d}2026-03-05${d}a,b\n`));
    // The comma in "1,5" is data, not a separator, so the decimal is (rightly) refused.
    expect(at(t)).toEqual([[2, '数量（小时）', 'UPLOAD.INVALID_NUMBER']]);
    const ok = await parseEntries(csv(`${HEADER.replaceAll(',', d)}\n110101199003077777${d}张三${d}1.5${d}2026-03-05${d}a,b\n`));
    expect(ok.rows[0]?.values).toMatchObject({ quantity: 1.5, note: 'a,b' });
  });

  it('honours an Excel "sep=" line and still counts it as line 1', async () => {
    const t = await parseEntries(csv(`sep=;\n${HEADER.replaceAll(',', ';')}\n110101199003077777;;1;2026-03-05;\n`));
    expect(at(t)).toEqual([[3, '姓名', 'UPLOAD.REQUIRED']]);
  });

  it('reports a malformed CSV (unclosed quote) as unreadable instead of throwing', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,"张三,1,2026-03-05,\n`));
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ row: 0, column: null, code: 'UPLOAD.UNREADABLE' });
    expect(t.errors[0]?.message).toMatch(/CSV/);
    expect(t.rows).toEqual([]);
  });

  it('refuses cells that hold Excel error text such as #N/A (a broken lookup saved to CSV)', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,#N/A,1,2026-03-05,\n`));
    expect(at(t)).toEqual([[2, '姓名', 'UPLOAD.CELL_ERROR']]);
    expect(t.errors[0]?.message).toContain('#N/A');
  });
});

describe('parseTable: line numbers', () => {
  const body = (eol: string) =>
    [
      '', // 1
      HEADER, // 2
      '110101199003077777,张三,2.5,2026-03-05,"第一行' + eol + '第二行"', // 3–4
      '', // 5
      ',,,,', // 6
      '110101199003077778,李四,abc,2026-03-05,', // 7
      '"110101199003077779","王' + eol + '五",1,2026-03-05,x', // 8–9
      '   ', // 10
      '110101199003077770,赵六,1,2026-02-30,', // 11
    ].join(eol);

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('points at the physical line despite blank lines and multi-line cells (%s)', async (_name, eol) => {
    const t = await parseEntries(csv(body(eol)));
    expect(at(t)).toEqual([
      [7, '数量（小时）', 'UPLOAD.INVALID_NUMBER'],
      [8, '姓名', 'UPLOAD.INVALID_FORMAT'],
      [11, '日期', 'UPLOAD.INVALID_DATE'],
    ]);
    expect(t.dataRowCount).toBe(4);
  });

  it('numbers the rows it returns the same way, keeping line breaks in a remarks cell', async () => {
    const text = ['', HEADER, '110101199003077777,张三,2.5,2026-03-05,"第一行\r\n第二行"', '', '110101199003077778,李四,1,2026-03-05,'].join('\r\n');
    const t = await parseEntries(csv(text));
    expect(t.rows.map((r) => r.row)).toEqual([3, 6]);
    expect(t.rows[0]?.values.note).toBe('第一行\n第二行');
  });

  it('uses sheet row numbers in .xlsx when the header is not on row 1 and rows are skipped', async () => {
    const t = await parseEntries(
      await xlsx((ws) => {
        ws.getRow(3).values = HEADER.split(',');
        ws.getRow(4).values = ['110101199003077777', '张三', 1, '2026-03-05'];
        ws.getRow(6).values = ['110101199003077778', '', 1, '2026-03-05'];
        ws.getRow(7).values = ['110101199003077779', '王五', 1, '2026-03-05'];
      }),
    );
    expect(at(t)).toEqual([[6, '姓名', 'UPLOAD.REQUIRED']]);
    expect(t.errors[0]?.message).toBe('第 6 行“姓名”不能为空 / is required');
  });
});

describe('parseTable: headers', () => {
  it('matches aliases regardless of case, spaces, full-width parentheses and a required marker', async () => {
    const t = await parseEntries(csv(' IDNUMBER ,Name,数量(小时),*日期,ＮＯＴＥ\n,张三,1,2026-03-05,x\n'));
    // The error names the column as the committee wrote it.
    expect(at(t)).toEqual([[2, 'IDNUMBER', 'UPLOAD.REQUIRED']]);
  });

  it('reports every missing required column on the header line, and parses no rows', async () => {
    const t = await parseEntries(csv('\n姓名,备注\n,\n张三,x\n'));
    expect(at(t)).toEqual([
      [2, '身份证号', 'UPLOAD.MISSING_COLUMN'],
      [2, '数量（小时）', 'UPLOAD.MISSING_COLUMN'],
      [2, '日期', 'UPLOAD.MISSING_COLUMN'],
    ]);
    expect(t.errors[0]?.message).toContain('缺少必填列“身份证号”');
  });

  it('reports an unknown column and lists the expected ones', async () => {
    const t = await parseEntries(csv(`${HEADER},电话\n110101199003077777,张三,1,2026-03-05,,138\n`));
    expect(at(t)).toEqual([[1, '电话', 'UPLOAD.UNKNOWN_COLUMN']]);
    expect(t.errors[0]?.message).toContain('身份证号、姓名');
    expect(t.rows).toEqual([]);
  });

  it('reports a column given twice (header and alias) at the second occurrence', async () => {
    const t = await parseEntries(csv(`${HEADER},idNumber\n110101199003077777,张三,1,2026-03-05,,110101199003077777\n`));
    expect(at(t)).toEqual([[1, 'idNumber', 'UPLOAD.DUPLICATE_COLUMN']]);
    expect(t.errors[0]?.message).toContain('身份证号');
  });

  it('does not parse rows while the header is wrong (no flood of follow-up errors)', async () => {
    const t = await parseEntries(csv(`身份证号,姓名,数量,日期\n,,abc,nope\n,,abc,nope\n`));
    expect(codes(t)).toEqual(['UPLOAD.UNKNOWN_COLUMN', 'UPLOAD.MISSING_COLUMN']);
  });

  it('refuses data under a blank header rather than dropping it silently', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,张三,1,2026-03-05,,\n110101199003077778,李四,1,2026-03-05,,多出来\n`));
    expect(at(t)).toEqual([[3, null, 'UPLOAD.UNKNOWN_COLUMN']]);
    expect(t.errors[0]?.message).toContain('第 F 列');
  });

  it('ignores trailing empty columns', async () => {
    const t = await parseEntries(csv(`${HEADER},,\n110101199003077777,张三,1,2026-03-05,,,\n`));
    expect(t.errors).toEqual([]);
    expect(t.rows).toHaveLength(1);
  });

  it('throws on a contradictory column list (a programming error, not a file problem)', async () => {
    const clash: ColumnSpec<unknown>[] = [
      { key: 'a', header: '姓名', required: true, parse: cell.string({ max: 1 }) },
      { key: 'b', header: 'B', aliases: ['姓名 '], required: true, parse: cell.string({ max: 1 }) },
    ];
    await expect(parseTable(csv('姓名\nx'), clash)).rejects.toThrow(/used by both a and b/);
    const dupKey = [clash[0], { ...clash[0], header: 'other' }] as ColumnSpec<unknown>[];
    await expect(parseTable(csv('姓名\nx'), dupKey)).rejects.toThrow(/duplicate column key a/);
    await expect(parseTable(csv('姓名\nx'), COLUMNS, { maxRows: 0 })).rejects.toThrow(RangeError);
  });
});

describe('parseTable: row errors', () => {
  it('reports a required cell that is empty or blank, with the message prefixed by row and column', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,,1,2026-03-05,\n110101199003077778,   ,1,2026-03-05,\n`));
    expect(t.errors).toEqual<RowError[]>([
      { row: 2, column: '姓名', code: 'UPLOAD.REQUIRED', message: '第 2 行“姓名”不能为空 / is required' },
      { row: 3, column: '姓名', code: 'UPLOAD.REQUIRED', message: '第 3 行“姓名”不能为空 / is required' },
    ]);
  });

  it('collects every error of every row in sheet order, and returns no rows at all', async () => {
    const t = await parseEntries(
      csv(
        [
          HEADER,
          '110101199003077777,张三,1,2026-03-05,',
          '123,李四,-1,2026-03-05,',
          '110101199003077778,王五,1.234,2026-13-01,',
          '110101199003077779,一二三四五六七八九十十一,1e3,20260305,',
        ].join('\n'),
      ),
    );
    expect(at(t)).toEqual([
      [3, '身份证号', 'UPLOAD.INVALID_FORMAT'],
      [3, '数量（小时）', 'UPLOAD.OUT_OF_RANGE'],
      [4, '数量（小时）', 'UPLOAD.INVALID_NUMBER'],
      [4, '日期', 'UPLOAD.INVALID_DATE'],
      [5, '姓名', 'UPLOAD.TOO_LONG'],
      [5, '数量（小时）', 'UPLOAD.INVALID_NUMBER'],
      [5, '日期', 'UPLOAD.INVALID_DATE'],
    ]);
    expect(t.errors[0]?.message).toBe('第 3 行“身份证号”不是 18 位身份证号 / not an 18-character ID number');
    expect(t.errors[1]?.message).toBe('第 3 行“数量（小时）”应在 0 到 1000 之间 / must be between 0 and 1000');
    expect(t.rows).toEqual([]);
    expect(t.dataRowCount).toBe(4);
  });

  it('uses a custom parser’s own code and message', async () => {
    const columns: ColumnSpec<unknown>[] = [
      {
        key: 'item',
        header: '项目编码',
        required: true,
        parse: (raw) => (raw === 'A01' ? { ok: true, value: 'A01' } : { ok: false, code: 'CATALOG.UNKNOWN_ITEM', message: '不是已知项目 / unknown item' }),
      },
    ];
    const t = await parseTable(csv('项目编码\nA01\nZ99\n'), columns);
    expect(t.errors).toEqual([{ row: 3, column: '项目编码', code: 'CATALOG.UNKNOWN_ITEM', message: '第 3 行“项目编码”不是已知项目 / unknown item' }]);
  });
});

describe('parseTable: xlsx cell contents', () => {
  const header = HEADER.split(',');

  it('refuses formulas, plain and shared, at their row and column', async () => {
    const t = await parseEntries(
      await xlsx((ws) => {
        writeRows(ws, [header, ['110101199003077777', '张三', 2, '2026-03-05'], ['110101199003077778', '李四', 3, '2026-03-05']]);
        ws.getCell('C2').value = { formula: '1+1', result: 2, shareType: 'shared', ref: 'C2:C3' } as ExcelJS.CellValue;
        ws.getCell('C3').value = { sharedFormula: 'C2', result: 2 } as ExcelJS.CellValue;
        ws.getCell('B3').value = { formula: 'UPPER("li")', result: 'LI' };
      }),
    );
    expect(at(t)).toEqual([
      [2, '数量（小时）', 'UPLOAD.FORMULA_NOT_ALLOWED'],
      [3, '姓名', 'UPLOAD.FORMULA_NOT_ALLOWED'],
      [3, '数量（小时）', 'UPLOAD.FORMULA_NOT_ALLOWED'],
    ]);
    expect(t.errors[0]?.message).toContain('选择性粘贴');
  });

  it('refuses error cells such as #N/A and #DIV/0!', async () => {
    const t = await parseEntries(
      await xlsx((ws) => writeRows(ws, [header, ['110101199003077777', { error: '#N/A' }, { error: '#DIV/0!' }, '2026-03-05']])),
    );
    expect(at(t)).toEqual([
      [2, '姓名', 'UPLOAD.CELL_ERROR'],
      [2, '数量（小时）', 'UPLOAD.CELL_ERROR'],
    ]);
    expect(t.errors[1]?.message).toContain('#DIV/0!');
  });

  it('refuses merged cells in the data area, once per merged range', async () => {
    const t = await parseEntries(
      await xlsx((ws) => {
        writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05'], ['110101199003077778', '李四', 1]]);
        ws.mergeCells('D2:D3');
      }),
    );
    // Row 3 has no date of its own: once unmerged it must be filled in too.
    expect(at(t)).toEqual([
      [2, '日期', 'UPLOAD.MERGED_CELLS'],
      [3, '日期', 'UPLOAD.REQUIRED'],
    ]);
    expect(t.errors[0]?.message).toContain('D2:D3');
  });

  it('ignores merged ranges that hold nothing (leftover formatting)', async () => {
    const t = await parseEntries(
      await xlsx((ws) => {
        writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05']]);
        ws.mergeCells('E2:E3');
      }),
    );
    expect(t.errors).toEqual([]);
    expect(t.rows).toHaveLength(1);
  });

  it('reads a 20,000-row sheet row by row, Chinese text intact across the inflated chunks, dates too', { timeout: 120_000 }, async () => {
    const names = ['陈金山', '马海龙', '黄海龙', '欧阳𠮷'];
    const t = await parseEntries(
      await xlsx((ws) => {
        ws.addRow(header);
        for (let i = 0; i < 20_000; i++) ws.addRow([`11010119900307${String(i % 10_000).padStart(4, '0')}`, names[i % names.length], 1, new Date(Date.UTC(2026, 2, 5)), `第 ${i} 行：签到表`]);
      }),
      { maxRows: 20_000 },
    );
    expect(t.errors).toEqual([]);
    expect(t.rows).toHaveLength(20_000);
    expect(t.rows.every((r, i) => r.values.name === names[i % names.length] && r.values.note === `第 ${i} 行：签到表` && r.values.occurredOn === '2026-03-05')).toBe(true);
    expect(t.rows[19_999]?.row).toBe(20_001);
  });

  it('refuses hidden (or filtered-out) rows and hidden columns: the committee never saw them', async () => {
    const hiddenRow = await parseEntries(
      await xlsx((ws) => {
        writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05'], ['110101199003077778', '李四', 1, '2026-03-05']]);
        ws.getRow(3).hidden = true;
      }),
    );
    expect(at(hiddenRow)).toEqual([[3, null, 'UPLOAD.HIDDEN_CONTENT']]);
    const hiddenColumn = await parseEntries(
      await xlsx((ws) => {
        writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05', '秘密']]);
        ws.getColumn(5).hidden = true;
      }),
    );
    expect(at(hiddenColumn)).toEqual([[1, '备注', 'UPLOAD.HIDDEN_CONTENT']]);
  });

  it('reads rich text and hyperlinks as their visible text', async () => {
    const t = await parseEntries(
      await xlsx((ws) =>
        writeRows(ws, [
          header,
          [
            '110101199003077777',
            { richText: [{ text: '张', font: { bold: true } }, { text: '三' }] },
            1,
            '2026-03-05',
            { text: '照片', hyperlink: 'https://example.org/p.jpg' },
          ],
        ]),
      ),
    );
    expect(t.errors).toEqual([]);
    expect(t.rows[0]?.values).toMatchObject({ name: '张三', note: '照片' });
  });

  it('refuses an ID number stored as a number (Excel kept only 15 digits)', async () => {
    const t = await parseEntries(await xlsx((ws) => writeRows(ws, [header, [Number('110101199003077777'), '张三', 1, '2026-03-05']])));
    expect(at(t)).toEqual([[2, '身份证号', 'UPLOAD.NUMBER_PRECISION_LOST']]);
    expect(t.errors[0]?.message).toContain('文本');
  });

  it('reads the first visible sheet, skipping a hidden one', async () => {
    const t = await parseEntries(
      await xlsx((ws, wb) => {
        writeRows(ws, [['junk']]);
        ws.state = 'hidden';
        writeRows(wb.addWorksheet('数据'), [header, ['110101199003077777', '张三', 1, '2026-03-05']]);
      }),
    );
    expect(t.errors).toEqual([]);
    expect(t.rows).toHaveLength(1);
  });

  it('refuses a workbook that unpacks to more than the limit, before reading it', async () => {
    const book = await xlsx((ws) => writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05']]));
    const t = await parseEntries(book, { maxUnpackedBytes: 2_000 });
    expect(codes(t)).toEqual(['UPLOAD.XLSX_TOO_LARGE']);
    expect(t.errors[0]?.message).toContain('CSV');
    expect(t.format).toBe('xlsx');
    // The same file under the default limit reads.
    expect((await parseEntries(book)).errors).toEqual([]);
  });

  it('refuses a zip whose directory understates what it inflates to, before the reader inflates it', async () => {
    const load = vi.spyOn(XlsxStream, 'open');
    try {
      // 64 MB of zeros in a 64 KB file, claiming 1,000 bytes: under the limit by its directory.
      const bomb = lyingZip(64 * 1024 * 1024, 1_000);
      expect(bomb.length).toBeLessThan(100_000);
      const t = await parseEntries({ buffer: bomb, originalname: 'entries.xlsx' });
      expect(codes(t)).toEqual(['UPLOAD.UNREADABLE']);
      expect(t.format).toBe('xlsx');
      expect(load).not.toHaveBeenCalled();
      // Control: the same spy sees an honest workbook reach the reader.
      const good = await xlsx((ws) => writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05']]));
      expect((await parseEntries(good)).errors).toEqual([]);
      expect(load).toHaveBeenCalledTimes(1);
    } finally {
      load.mockRestore();
    }
  });

  it('reports a corrupt or truncated workbook as unreadable instead of throwing', async () => {
    const fake = await parseEntries({ buffer: Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200, 7)]), originalname: 'a.xlsx' });
    expect(fake.errors).toEqual([expect.objectContaining({ row: 0, column: null, code: 'UPLOAD.UNREADABLE' })]);
    expect(fake.format).toBe('xlsx');
    const good = await xlsx((ws) => writeRows(ws, [header, ['110101199003077777', '张三', 1, '2026-03-05']]));
    const truncated = await parseEntries({ buffer: good.buffer.subarray(0, Math.floor(good.buffer.length / 2)), originalname: 'a.xlsx' });
    expect(codes(truncated)).toEqual(['UPLOAD.UNREADABLE']);
  });
});

describe('parseTable: refused files', () => {
  it('refuses old binary .xls with a hint to save as .xlsx or CSV', async () => {
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    const t = await parseEntries({ buffer: xls, originalname: '三月.xls' });
    expect(t.errors).toEqual([expect.objectContaining({ row: 0, column: null, code: 'UPLOAD.UNSUPPORTED_FORMAT' })]);
    expect(t.errors[0]?.message).toMatch(/\.xlsx.*CSV/);
    expect(t.format).toBeNull();
    expect(t.rows).toEqual([]);
  });

  it('refuses other binary content (garbage bytes, images, PDF)', async () => {
    const garbage = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37 + 11) % 256));
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n', 'latin1');
    for (const buffer of [garbage, png, pdf]) {
      const t = await parseEntries({ buffer, originalname: 'entries.csv' });
      expect(codes(t)).toEqual(['UPLOAD.UNSUPPORTED_FORMAT']);
    }
  });

  it('refuses an HTML table disguised as .xls (a common web-system export)', async () => {
    const t = await parseEntries(csv('<html><body><table><tr><td>姓名</td></tr></table></body></html>', 'export.xls'));
    expect(codes(t)).toEqual(['UPLOAD.UNSUPPORTED_FORMAT']);
    expect(t.errors[0]?.message).toContain('网页');
  });

  it('refuses a text file named .xlsx as unreadable rather than guessing', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,张三,1,2026-03-05,\n`, 'entries.xlsx'));
    expect(codes(t)).toEqual(['UPLOAD.UNREADABLE']);
  });

  it.each([
    ['an empty file', ''],
    ['only blank lines', '\r\n\r\n  \r\n,,,\r\n'],
  ])('reports %s as empty', async (_name, text) => {
    const t = await parseEntries(csv(text));
    expect(t.errors).toEqual([{ row: 0, column: null, code: 'UPLOAD.EMPTY', message: '文件是空的 / the file is empty' }]);
  });

  it('reports a header without data rows as empty (CSV and xlsx)', async () => {
    const fromCsv = await parseEntries(csv(`${HEADER}\n\n`));
    expect(codes(fromCsv)).toEqual(['UPLOAD.EMPTY']);
    expect(fromCsv.errors[0]?.message).toContain('没有数据行');
    const fromXlsx = await parseEntries(await xlsx((ws) => writeRows(ws, [HEADER.split(',')])));
    expect(codes(fromXlsx)).toEqual(['UPLOAD.EMPTY']);
    const blankBook = await parseEntries(await xlsx(() => undefined));
    expect(codes(blankBook)).toEqual(['UPLOAD.EMPTY']);
  });
});

describe('parseTable: limits', () => {
  const line = (i: number) => `1101011990030${String(i).padStart(5, '0')},张三,1,2026-03-05,`;

  it('accepts exactly maxRows rows', async () => {
    const t = await parseEntries(csv([HEADER, ...Array.from({ length: 3 }, (_, i) => line(i))].join('\n')), { maxRows: 3 });
    expect(t.errors).toEqual([]);
    expect(t.rows).toHaveLength(3);
  });

  it('stops at maxRows + 1 rows with one file-level error and parses none of them', async () => {
    const { spy, parse } = counting(cell.string({ max: 18 }));
    const columns = COLUMNS.map((c) => (c.key === 'idNumber' ? { ...c, parse } : c));
    const t = await parseTable(csv([HEADER, ...Array.from({ length: 50 }, (_, i) => line(i))].join('\n')), columns, { maxRows: 3 });
    expect(t.errors).toEqual([expect.objectContaining({ row: 0, column: null, code: 'UPLOAD.TOO_MANY_ROWS' })]);
    expect(t.errors[0]?.message).toContain('3');
    expect(t.dataRowCount).toBe(4);
    expect(spy.calls).toBe(0);
  });

  it('applies the limit to xlsx too', async () => {
    const book = await xlsx((ws) => writeRows(ws, [HEADER.split(','), ...Array.from({ length: 10 }, (_, i) => line(i).split(','))]));
    const t = await parseEntries(book, { maxRows: 5 });
    expect(codes(t)).toEqual(['UPLOAD.TOO_MANY_ROWS']);
    expect(t.dataRowCount).toBe(6);
  });

  it('defaults to 20000 rows', async () => {
    const rows = (n: number) => [HEADER, ...Array.from({ length: n }, (_, i) => line(i))].join('\n');
    expect(codes(await parseEntries(csv(rows(20_001))))).toEqual(['UPLOAD.TOO_MANY_ROWS']);
    const ok = await parseEntries(csv(rows(20_000)));
    expect(ok.errors).toEqual([]);
    expect(ok.rows).toHaveLength(20_000);
  });

  it('lists at most 1000 errors, then one TOO_MANY_ERRORS entry, and stops parsing', async () => {
    const { spy, parse } = counting(cell.decimal({ min: 0, max: 10, maxDecimals: 0 }));
    const columns = COLUMNS.map((c) => (c.key === 'quantity' ? { ...c, parse } : c));
    const text = [HEADER, ...Array.from({ length: 1500 }, (_, i) => `1101011990030${String(i).padStart(5, '0')},张三,x,2026-03-05,`)].join('\n');
    const t = await parseTable(csv(text), columns);
    expect(t.errors).toHaveLength(1001);
    expect(t.errors.slice(0, 1000).every((e) => e.code === 'UPLOAD.INVALID_NUMBER')).toBe(true);
    expect(t.errors[999]?.row).toBe(1001);
    expect(t.errors[1000]).toMatchObject({ row: 0, column: null, code: 'UPLOAD.TOO_MANY_ERRORS' });
    expect(spy.calls).toBeLessThanOrEqual(1001);
  });

  it('caps at maxErrors when given', async () => {
    const t = await parseEntries(csv(`${HEADER}\n,,,,x\n,,,,x\n`), { maxErrors: 5 });
    expect(codes(t)).toEqual([...Array(5).fill('UPLOAD.REQUIRED'), 'UPLOAD.TOO_MANY_ERRORS']);
  });
});

describe('parseTable: checksum', () => {
  it('is the sha256 of the uploaded bytes, stable for identical bytes', async () => {
    const bytes = Buffer.from(`${HEADER}\n110101199003077777,张三,1,2026-03-05,\n`);
    const a = await parseEntries(csv(bytes, 'a.csv'));
    const b = await parseEntries(csv(Buffer.from(bytes), 'renamed.csv'));
    expect(a.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(a.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(b.checksum).toBe(a.checksum);
    const c = await parseEntries(csv(Buffer.concat([bytes, Buffer.from('\n')])));
    expect(c.checksum).not.toBe(a.checksum);
  });

  it('is present even for refused files', async () => {
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const t = await parseEntries({ buffer: xls, originalname: 'a.xls' });
    expect(t.checksum).toBe(createHash('sha256').update(xls).digest('hex'));
  });
});

describe('buildTemplate', () => {
  const EXAMPLE: Entry = { idNumber: '110101199003077777', name: '张三', quantity: 2.5, occurredOn: '2026-03-05', note: '帮助邻居' };

  it('builds an .xlsx that parses back to the example row', async () => {
    const buffer = await buildTemplate(COLUMNS, 'xlsx');
    const t = await parseEntries({ buffer, originalname: 'template.xlsx' });
    expect(t.errors).toEqual([]);
    expect(t.rows).toEqual([{ row: 2, values: EXAMPLE }]);
  });

  it('builds a CSV with a UTF-8 BOM that parses back to the same example row', async () => {
    const buffer = await buildTemplate(COLUMNS, 'csv');
    expect([...buffer.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(buffer.subarray(3).toString('utf8')).toBe(`${HEADER}\r\n110101199003077777,张三,2.5,2026-03-05,帮助邻居\r\n`);
    const t = await parseEntries({ buffer, originalname: 'template.csv' });
    expect(t.rows).toEqual([{ row: 2, values: EXAMPLE }]);
  });

  it('formats the .xlsx for people: bold headers, widths, text-format ID column, real date cell', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await buildTemplate(COLUMNS, 'xlsx', '三月积分')) as unknown as Parameters<typeof wb.xlsx.load>[0]);
    const ws = wb.worksheets[0];
    expect(ws?.name).toBe('三月积分');
    expect(ws?.getRow(1).values).toEqual([undefined, ...HEADER.split(',')]);
    expect(ws?.getCell('A1').font?.bold).toBe(true);
    expect(ws?.getCell('E1').font?.bold).toBe(true);
    // Typed-in ID numbers must stay text, or Excel keeps 15 digits of 18.
    expect(ws?.getColumn(1).numFmt).toBe('@');
    expect(ws?.getCell('A2').value).toBe('110101199003077777');
    expect(ws?.getCell('C2').value).toBe(2.5);
    expect(ws?.getCell('D2').value).toEqual(new Date(Date.UTC(2026, 2, 5)));
    expect(ws?.getColumn(2).numFmt).not.toBe('@');
    expect(ws?.getColumn(1).width).toBeGreaterThanOrEqual(18);
    expect(ws?.getColumn(3).width).toBeGreaterThanOrEqual(12);
  });

  it('writes only the header when no column has an example (which then parses as empty)', async () => {
    const bare = COLUMNS.map(({ example: _example, ...c }) => c);
    const text = (await buildTemplate(bare, 'csv')).toString('utf8');
    expect(text).toBe(`\uFEFF${HEADER}\r\n`);
    const t = await parseEntries({ buffer: await buildTemplate(bare, 'xlsx'), originalname: 't.xlsx' });
    expect(codes(t)).toEqual(['UPLOAD.EMPTY']);
  });
});

// ---------------------------------------------------------------------------------------------
// Cell parsers

const value = <T>(r: { ok: true; value: T } | { ok: false; code: string; message: string }) => (r.ok ? r.value : r.code);

describe('cell.integer', () => {
  const p = cell.integer({ min: -100, max: 100_000 });

  it.each<[CellValue, number]>([
    ['12', 12],
    [' １２ ', 12],
    ['+7', 7],
    ['-3', -3],
    ['3.0', 3],
    ['1,234', 1234],
    [12, 12],
    [2.9999999999999996, 3],
  ])('accepts %j as %d', (raw, expected) => {
    expect(value(p(raw))).toBe(expected);
  });

  it.each<[CellValue, string]>([
    ['12abc', 'UPLOAD.INVALID_NUMBER'],
    ['1e3', 'UPLOAD.INVALID_NUMBER'],
    ['abc', 'UPLOAD.INVALID_NUMBER'],
    ['1,23', 'UPLOAD.INVALID_NUMBER'],
    ['1 000', 'UPLOAD.INVALID_NUMBER'],
    ['3.5', 'UPLOAD.INVALID_NUMBER'],
    [3.5, 'UPLOAD.INVALID_NUMBER'],
    [Number.NaN, 'UPLOAD.INVALID_NUMBER'],
    [Number.POSITIVE_INFINITY, 'UPLOAD.INVALID_NUMBER'],
    [true, 'UPLOAD.INVALID_NUMBER'],
    [new Date(0), 'UPLOAD.INVALID_NUMBER'],
    ['100001', 'UPLOAD.OUT_OF_RANGE'],
    [-101, 'UPLOAD.OUT_OF_RANGE'],
    ['99999999999999999999', 'UPLOAD.OUT_OF_RANGE'],
  ])('refuses %j with %s', (raw, code) => {
    expect(value(p(raw))).toBe(code);
  });

  it('says what is wrong in Chinese and English', () => {
    expect(p('abc')).toEqual({ ok: false, code: 'UPLOAD.INVALID_NUMBER', message: '不是有效数字 / not a number' });
    expect(p('3.5')).toMatchObject({ message: '必须是整数 / must be a whole number' });
  });

  it('round-trips every in-range integer written as text or as a number cell', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100, max: 100_000 }), (n) => {
        expect(value(p(String(n)))).toBe(n);
        expect(value(p(n))).toBe(n);
      }),
    );
  });
});

describe('cell.decimal', () => {
  const p = cell.decimal({ min: 0, max: 1000, maxDecimals: 2 });

  it.each<[CellValue, number]>([
    ['2.5', 2.5],
    ['2.50', 2.5],
    ['2.500', 2.5],
    ['.5', 0.5],
    ['0', 0],
    ['-0', 0],
    ['１.２５', 1.25],
    [0.1 + 0.2, 0.3],
    [999.99, 999.99],
  ])('accepts %j as %d', (raw, expected) => {
    expect(value(p(raw))).toBe(expected);
  });

  it.each<[CellValue, string]>([
    ['2.555', 'UPLOAD.INVALID_NUMBER'],
    [1.005, 'UPLOAD.INVALID_NUMBER'],
    ['1e3', 'UPLOAD.INVALID_NUMBER'],
    ['2.5.1', 'UPLOAD.INVALID_NUMBER'],
    ['.', 'UPLOAD.INVALID_NUMBER'],
    ['', 'UPLOAD.INVALID_NUMBER'],
    ['1000.01', 'UPLOAD.OUT_OF_RANGE'],
    ['-0.01', 'UPLOAD.OUT_OF_RANGE'],
  ])('refuses %j with %s', (raw, code) => {
    expect(value(p(raw))).toBe(code);
  });

  it('names the allowed number of decimals', () => {
    expect(p('2.555')).toMatchObject({ message: '最多 2 位小数 / at most 2 decimal places' });
  });
});

describe('cell.date', () => {
  const p = cell.date();

  it.each<[CellValue, string]>([
    [new Date(Date.UTC(2026, 2, 5)), '2026-03-05'],
    [new Date(Date.UTC(2026, 2, 5, 23, 59)), '2026-03-05'],
    [46086, '2026-03-05'],
    ['2026-03-05', '2026-03-05'],
    ['2026-3-5', '2026-03-05'],
    ['2026/3/5', '2026-03-05'],
    ['2026.3.5', '2026-03-05'],
    ['2026年3月5日', '2026-03-05'],
    ['2026 年 3 月 5 日', '2026-03-05'],
    ['2026年03月05号', '2026-03-05'],
    ['２０２６－０３－０５', '2026-03-05'],
    ['2026/3/5 0:00', '2026-03-05'],
    ['2026-03-05 00:00:00', '2026-03-05'],
    ['2024-02-29', '2024-02-29'],
  ])('accepts %j as %s', (raw, expected) => {
    expect(value(p(raw))).toBe(expected);
  });

  it.each<[CellValue]>([
    ['2026-02-30'],
    ['2026-13-01'],
    ['2026-00-10'],
    ['2100-02-29'],
    ['2026-3/5'],
    ['03/05/2026'],
    ['26-3-5'],
    ['20260305'],
    ['46086'],
    [46086.5],
    [19_999],
    [80_001],
    ['1899-12-31'],
    ['明天'],
    [true],
    [new Date(Number.NaN)],
  ])('refuses %j', (raw) => {
    expect(value(p(raw))).toBe('UPLOAD.INVALID_DATE');
  });

  it('says the impossible date does not exist', () => {
    expect(p('2026-02-30')).toMatchObject({ ok: false, message: expect.stringContaining('2026-02-30 不存在') });
  });

  it('checks min and max', () => {
    const march = cell.date({ min: '2026-03-01', max: '2026-03-31' });
    expect(value(march('2026/3/31'))).toBe('2026-03-31');
    expect(value(march('2026-04-01'))).toBe('UPLOAD.OUT_OF_RANGE');
    expect(value(march('2026-02-28'))).toBe('UPLOAD.OUT_OF_RANGE');
  });

  it('gives the same calendar date for every accepted spelling', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2100, 11, 31)), noInvalidDate: true }), (d) => {
        const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
        const iso = `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        const midnight = new Date(Date.UTC(y, m - 1, day));
        for (const raw of [iso, `${y}/${m}/${day}`, `${y}.${m}.${day}`, `${y}年${m}月${day}日`, midnight]) {
          expect(value(p(raw))).toBe(iso);
        }
      }),
    );
  });
});

describe('cell.string', () => {
  const p = cell.string({ max: 30 });

  it.each<[CellValue, string]>([
    ['  张三 ', '张三'],
    [110101199003077, '110101199003077'],
    [3.5, '3.5'],
    [0.1 + 0.2, '0.3'],
    [1e-7, '0.0000001'],
    [true, 'TRUE'],
    [new Date(Date.UTC(2026, 2, 5)), '2026-03-05'],
    [new Date(Date.UTC(2026, 2, 5, 8, 30)), '2026-03-05 08:30:00'],
  ])('reads %j as %j', (raw, expected) => {
    expect(value(p(raw))).toBe(expected);
  });

  it('refuses numbers Excel could not store exactly, and their scientific-notation text from CSV', () => {
    expect(value(p(Number('110101199003077777')))).toBe('UPLOAD.NUMBER_PRECISION_LOST');
    expect(value(p(6222021234567890))).toBe('UPLOAD.NUMBER_PRECISION_LOST');
    expect(value(p('1.10101E+17'))).toBe('UPLOAD.NUMBER_PRECISION_LOST');
    expect(p('1.10101E+17')).toMatchObject({ message: expect.stringContaining('文本') });
  });

  it('counts characters, not UTF-16 units', () => {
    const three = cell.string({ max: 3 });
    expect(value(three('𠮷𠮷𠮷'))).toBe('𠮷𠮷𠮷');
    expect(three('𠮷𠮷𠮷𠮷')).toEqual({ ok: false, code: 'UPLOAD.TOO_LONG', message: '超过 3 个字（现有 4 个）/ longer than 3 characters' });
  });

  it('checks the pattern after the transform, with the given code or INVALID_FORMAT', () => {
    const id = cell.string({ max: 18, pattern: ID_PATTERN, transform: (s) => s.toUpperCase(), code: 'RESIDENT.INVALID_ID' });
    expect(value(id('11010119900307888x'))).toBe('11010119900307888X');
    expect(value(id('1101011990030788'))).toBe('RESIDENT.INVALID_ID');
    expect(value(cell.string({ max: 5, pattern: /^\d+$/ })('abc'))).toBe('UPLOAD.INVALID_FORMAT');
  });

  it('refuses line breaks unless multiline, and control characters always', () => {
    expect(value(p('张\n三'))).toBe('UPLOAD.INVALID_FORMAT');
    expect(value(p('张\t三'))).toBe('UPLOAD.INVALID_FORMAT');
    const remarks = cell.string({ max: 50, multiline: true });
    expect(value(remarks('第一行\n第二行'))).toBe('第一行\n第二行');
    expect(value(remarks('响\u0007铃'))).toBe('UPLOAD.INVALID_FORMAT');
  });

  it('treats empty content as required when called directly', () => {
    expect(value(p('   '))).toBe('UPLOAD.REQUIRED');
    expect(value(p(null))).toBe('UPLOAD.REQUIRED');
  });
});

describe('cell.oneOf and cell.boolean', () => {
  it('maps labels to values, ignoring case and width', () => {
    const gender = cell.oneOf({ 男: 'M', 女: 'F' });
    expect(value(gender(' 男 '))).toBe('M');
    expect(value(gender('女'))).toBe('F');
    expect(gender('未知')).toEqual({ ok: false, code: 'UPLOAD.INVALID_VALUE', message: '应为以下之一：男、女 / must be one of: 男, 女' });
    const grade = cell.oneOf(['A', 'B']);
    expect(value(grade('ａ'))).toBe('A');
    expect(value(grade('C'))).toBe('UPLOAD.INVALID_VALUE');
  });

  it('reads yes/no in the usual spellings', () => {
    const b = cell.boolean();
    for (const yes of ['是', 'Y', 'yes', 'TRUE', '1', '√', true, 1] as CellValue[]) expect(value(b(yes))).toBe(true);
    for (const no of ['否', 'n', 'No', 'false', '0', '×', false, 0] as CellValue[]) expect(value(b(no))).toBe(false);
    expect(value(b('也许'))).toBe('UPLOAD.INVALID_VALUE');
  });
});

describe('columnLetter', () => {
  it.each([
    [0, 'A'],
    [25, 'Z'],
    [26, 'AA'],
    [701, 'ZZ'],
    [702, 'AAA'],
  ])('%d → %s', (i, letter) => {
    expect(columnLetter(i)).toBe(letter);
  });
});

describe('CSV and xlsx agree on arbitrary text', () => {
  const chars = ['a', 'Z', '张', '三', '𠮷', ' ', ',', '"', ';', '\n', '\t', '（', '）', '-', '1', '.', "'", '='];
  const text = fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
  const columns: ColumnSpec<unknown>[] = [
    { key: 'k', header: '编号', required: true, parse: cell.string({ max: 10 }) },
    { key: 'note', header: '备注', required: false, parse: cell.string({ max: 50, multiline: true }) },
  ];
  const expected = (s: string) => {
    const trimmed = s.trim();
    return trimmed === '' ? null : trimmed;
  };

  it('keeps any remark through a CSV written by a standard writer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 5 }), async (notes) => {
        const body = stringifyCsv([['编号', '备注'], ...notes.map((n, i) => [`k${i}`, n])]);
        const t = await parseTable<{ k: string; note: string | null }>(csv(body), columns);
        expect(t.errors).toEqual([]);
        expect(t.rows.map((r) => r.values.note)).toEqual(notes.map(expected));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the same remark through .xlsx', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (note) => {
        const t = await parseTable<{ k: string; note: string | null }>(
          await xlsx((ws) => writeRows(ws, [['编号', '备注'], ['k1', note]])),
          columns,
        );
        expect(t.errors).toEqual([]);
        expect(t.rows[0]?.values.note).toBe(expected(note));
      }),
      { numRuns: 25 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A committee's own sheet: title rows, found header, one pass, error report

describe('parseTable: finding the header below title rows', () => {
  const good = '110101199003077777,张三,1,2026-03-05,';

  it('skips a title row, a notes row and blank lines above the header in CSV, and says where the header is', async () => {
    const t = await parseEntries(csv(['东村2026年3月志愿服务登记表,,,,', '', '填表人：李会计,,,,', HEADER, good, ''].join('\r\n')));
    expect(t.errors).toEqual([]);
    expect(t.headerRow).toBe(4);
    expect(t.rows).toEqual([{ row: 5, values: expect.objectContaining({ name: '张三', occurredOn: '2026-03-05' }) }]);
  });

  it('skips a merged title row in .xlsx (no merged-cell error above the header)', async () => {
    const t = await parseEntries(
      await xlsx((ws) => {
        ws.getCell('A1').value = '东村信义积分登记表（2026年3月）';
        ws.mergeCells('A1:E1');
        ws.getRow(3).values = HEADER.split(',');
        ws.getRow(4).values = ['110101199003077777', '张三', 1, '2026-03-05'];
      }),
    );
    expect(t.errors).toEqual([]);
    expect(t.headerRow).toBe(3);
    expect(t.rows.map((r) => r.row)).toEqual([4]);
  });

  it('takes the data from the first visible sheet whose header names the columns (instructions sheet first)', async () => {
    const t = await parseEntries(
      await xlsx((ws, wb) => {
        ws.name = '说明';
        writeRows(ws, [['填写说明'], ['每行一条记录']]);
        writeRows(wb.addWorksheet('数据'), [HEADER.split(','), ['110101199003077777', '张三', 1, '2026-03-05']]);
      }),
    );
    expect(t.errors).toEqual([]);
    expect(t.source?.name).toBe('数据');
  });

  it('keeps the cells as read only for a caller that may write a report (keepSource)', async () => {
    const file = csv(`${HEADER}\n110101199003077777,张三,2.5,2026-03-05,帮助邻居\n`);
    const kept = await parseEntries(file);
    const dropped = await parseEntries(file, { keepSource: false });
    expect(kept.source?.lines.map((l) => l.role)).toEqual(['header', 'data']);
    expect(dropped.source).toBeNull();
    expect({ ...dropped, source: kept.source }).toEqual(kept);
  });

  it('falls back to the first row when no row names the columns, so the header errors say what is wrong', async () => {
    const t = await parseEntries(csv('foo,bar\nx,y\n'));
    expect(t.headerRow).toBe(1);
    expect(codes(t)).toContain('UPLOAD.MISSING_COLUMN');
  });

  it('reads past our own error column and the columns the caller ignores (序号)', async () => {
    const t = await parseEntries(csv(`序号,${HEADER},${ERROR_REPORT_COLUMN}\n1,${good},第 2 行……\n`), { ignoreColumns: ['序号'] });
    expect(t.errors).toEqual([]);
    expect(t.rows).toHaveLength(1);
  });
});

describe('parseTable: checked rows for the caller’s own checks', () => {
  it('hands back every row with what parsed and which cells failed, while `rows` stays empty', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,张三,abc,2026-02-30,x\n110101199003077778,李四,1,2026-03-05,\n`));
    expect(t.rows).toEqual([]);
    expect(t.checkedRows).toEqual([
      { row: 2, values: { idNumber: '110101199003077777', name: '张三', quantity: null, occurredOn: null, note: 'x' }, failed: ['quantity', 'occurredOn'] },
      { row: 3, values: { idNumber: '110101199003077778', name: '李四', quantity: 1, occurredOn: '2026-03-05', note: null }, failed: [] },
    ]);
    expect(t.columnLabels).toMatchObject({ idNumber: '身份证号', quantity: '数量（小时）' });
  });

  it('hands back no rows while the header is wrong', async () => {
    const t = await parseEntries(csv('身份证号,姓名\n1,2\n'));
    expect(t.checkedRows).toEqual([]);
  });
});

describe('buildErrorReport', () => {
  const load = async (buffer: Buffer) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as Parameters<typeof wb.xlsx.load>[0]);
    return wb;
  };

  it('writes the uploaded rows at their own line numbers with an error column, shading the bad cells', async () => {
    const file = csv(['东村登记表,,,,', HEADER, '110101199003077777,张三,abc,2026-03-05,', '110101199003077778,李四,1,2026-03-05,'].join('\n'));
    const t = await parseEntries(file);
    const extra: RowError = { row: 4, column: '姓名', code: 'X.NAME', message: '第 4 行“姓名”与卡号不符', severity: 'warning' };
    const wb = await load(await buildErrorReport(t, [...t.errors, extra, { row: 0, column: null, code: 'X.FILE', message: '同一文件已上传过' }]));
    const ws = wb.worksheets[0];
    expect(ws?.getCell('A1').value).toBe('东村登记表');
    expect(ws?.getRow(2).values).toEqual([undefined, ...HEADER.split(','), ERROR_REPORT_COLUMN]);
    expect(ws?.getCell('A3').value).toBe('110101199003077777');
    expect(ws?.getCell('C3').value).toBe('abc');
    expect(String(ws?.getCell('F3').value)).toContain('第 3 行“数量（小时）”不是有效数字');
    expect((ws?.getCell('C3').fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb).toBe('FFFFC7CE');
    expect(String(ws?.getCell('F4').value)).toBe('提示：第 4 行“姓名”与卡号不符');
    const list = wb.getWorksheet('错误列表');
    expect(list?.getRow(2).values).toEqual([undefined, '整个文件', '', '错误', 'X.FILE', '同一文件已上传过']);
    expect(list?.rowCount).toBe(4);
  });

  it('gives a workbook that, once corrected, uploads as it is (the error column is read past)', async () => {
    const t = await parseEntries(csv(`${HEADER}\n110101199003077777,张三,abc,2026-03-05,\n`));
    const wb = await load(await buildErrorReport(t, t.errors));
    wb.worksheets[0]!.getCell('C2').value = 2;
    const again = await parseEntries({ buffer: Buffer.from(await wb.xlsx.writeBuffer()), originalname: 'fixed.xlsx' });
    expect(again.errors).toEqual([]);
    expect(again.rows).toEqual([{ row: 2, values: expect.objectContaining({ idNumber: '110101199003077777', quantity: 2 }) }]);
  });

  it('lists the errors of a file that could not be read at all', async () => {
    const t = await parseEntries(csv('"unclosed,quote\n'));
    const wb = await load(await buildErrorReport(t, t.errors));
    expect(wb.getWorksheet('错误列表')?.getCell('D2').value).toBe('UPLOAD.UNREADABLE');
  });
});

describe('buildTemplate: instructions, reference sheet and dropdowns', () => {
  it('adds a 说明 sheet, a reference sheet, dropdowns and several example rows that parse back', async () => {
    const buffer = await buildTemplate(COLUMNS, 'xlsx', {
      sheetName: '数据',
      examples: [
        { idNumber: '110101199003077777', name: '张三', quantity: '2', occurredOn: '2026-03-05', note: '甲' },
        { idNumber: '11010119900307888X', name: '李四', quantity: '1', occurredOn: '2026-03-06', note: '' },
      ],
      instructions: ['填写说明', '每行一条记录'],
      reference: { name: '名单', header: ['姓名'], rows: [['张三'], ['李四']], listColumn: 1, forKey: 'name' },
      choices: { note: ['甲', '乙'] },
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as Parameters<typeof wb.xlsx.load>[0]);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['数据', '说明', '名单']);
    const ws = wb.worksheets[0];
    expect(ws?.getCell('B2').dataValidation).toMatchObject({ type: 'list', formulae: ["'名单'!$A$2:$A$3"] });
    expect(ws?.getCell('E500').dataValidation).toMatchObject({ type: 'list', formulae: ['"甲,乙"'] });
    expect(ws?.getColumn(4).numFmt).toBe('yyyy-mm-dd');
    expect(ws?.getCell('D3').value).toEqual(new Date(Date.UTC(2026, 2, 6)));
    const t = await parseEntries({ buffer, originalname: 'template.xlsx' });
    expect(t.errors).toEqual([]);
    expect(t.rows.map((r) => r.values.name)).toEqual(['张三', '李四']);
  });
});

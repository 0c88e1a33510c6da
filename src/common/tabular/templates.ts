/** Uploaded spreadsheets: templates. The module as a whole is described in ./tabular.ts. */
import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { ColumnSpec, ERROR_REPORT_COLUMN, ParsedTable, RowError } from './types';
import { cellToString } from './cells';
import { columnLetter } from './read';
import { buildHeaderLookup, normaliseHeader } from './headers';

/** Digit strings Excel would mangle as numbers: leading zeros, phone and ID numbers. */
const ID_LIKE = /^(?:0\d+|\d{11,}|\d{17}[Xx])$/u;
const PLAIN_NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?$/u;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/u;

/** Rough on-screen width: CJK characters take two columns. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1;
  return w;
}

function exampleCell(example: string | undefined): string | number | Date | null {
  if (example === undefined || example === '') return null;
  if (ID_LIKE.test(example)) return example;
  if (PLAIN_NUMBER.test(example)) return Number(example);
  const d = ISO_DATE.exec(example);
  if (d) return new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])));
  return example;
}

export interface TemplateOptions {
  /** Name of the data sheet; default '导入模板'. */
  sheetName?: string;
  /** Example rows by column key; default one row of each column's `example`. */
  examples?: Array<Record<string, string>>;
  /** Lines of an instructions sheet (说明), xlsx only. */
  instructions?: string[];
  /**
   * A reference sheet (e.g. the catalogue in force), xlsx only; the data sheet's column `forKey`
   * gets a dropdown of the reference sheet's column `listColumn` (1-based). Typed values that are
   * not in the list stay allowed: the upload decides, and says why.
   */
  reference?: { name: string; header: string[]; widths?: number[]; rows: Array<Array<string | number>>; listColumn: number; forKey: string };
  /** Fixed dropdowns by column key, e.g. { gender: ['男', '女'] }. */
  choices?: Record<string, string[]>;
  /** Data rows given the dropdowns and cell formats; default 2000. */
  formattedRows?: number;
}

const TEMPLATE_FORMATTED_ROWS = 2000;

function sheetRef(name: string, column: number, first: number, last: number): string {
  const letter = columnLetter(column - 1);
  return `'${name.replace(/'/gu, "''")}'!$${letter}$${first}:$${letter}$${last}`;
}

/**
 * A sheet for `columns`: header row plus example rows. In .xlsx, ID-like columns are formatted
 * as text so that ID numbers typed later keep all 18 digits, date columns as dates; an
 * instructions sheet, a reference sheet and dropdowns when asked for. CSV gets a UTF-8 BOM so
 * Excel opens the Chinese headers correctly.
 */
export async function buildTemplate(columns: ColumnSpec<unknown>[], format: 'csv' | 'xlsx', options: TemplateOptions | string = {}): Promise<Buffer> {
  buildHeaderLookup(columns);
  const opts: TemplateOptions = typeof options === 'string' ? { sheetName: options } : options;
  const examples = (opts.examples ?? [Object.fromEntries(columns.map((c) => [c.key, c.example ?? '']))]).filter((e) =>
    columns.some((c) => (e[c.key] ?? '') !== ''),
  );
  // A column's look (text, date) follows the first example that fills it.
  const sample = (spec: ColumnSpec<unknown>) => examples.map((e) => e[spec.key] ?? '').find((v) => v !== '') ?? spec.example;
  if (format === 'csv') {
    const records = [columns.map((c) => c.header), ...examples.map((e) => columns.map((c) => e[c.key] ?? ''))];
    return Buffer.from(`\uFEFF${stringifyCsv(records, { record_delimiter: '\r\n' })}`, 'utf8');
  }

  const workbook = new ExcelJS.Workbook();
  const ws = workbook.addWorksheet(opts.sheetName ?? '导入模板', { views: [{ state: 'frozen', ySplit: 1 }] });
  columns.forEach((spec, i) => {
    const col = ws.getColumn(i + 1);
    const widest = Math.max(displayWidth(spec.header), ...examples.map((e) => displayWidth(e[spec.key] ?? '')), displayWidth(spec.example ?? ''));
    col.width = Math.min(60, widest + 4);
    const s = sample(spec);
    if (s !== undefined && ID_LIKE.test(s)) col.numFmt = '@';
    else if (s !== undefined && ISO_DATE.test(s)) col.numFmt = 'yyyy-mm-dd';
  });
  const headerRow = ws.addRow(columns.map((c) => c.header));
  headerRow.eachCell((c) => {
    c.font = { bold: true };
  });
  for (const e of examples) {
    const exampleRow = ws.addRow(columns.map((c) => exampleCell(e[c.key])));
    columns.forEach((spec, i) => {
      const c = exampleRow.getCell(i + 1);
      const v = e[spec.key];
      if (v !== undefined && ID_LIKE.test(v)) c.numFmt = '@';
      else if (c.value instanceof Date) c.numFmt = 'yyyy-mm-dd';
    });
  }

  const last = 1 + (opts.formattedRows ?? TEMPLATE_FORMATTED_ROWS);
  // exceljs writes a range key as one sqref; the typings only know single cells.
  const validations = (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations;
  const columnOf = (key: string) => columns.findIndex((c) => c.key === key);
  for (const [key, labels] of Object.entries(opts.choices ?? {})) {
    const i = columnOf(key);
    if (i < 0) throw new Error(`tabular: no column ${key} for a dropdown`);
    const letter = columnLetter(i);
    validations.add(`${letter}2:${letter}${last}`, { type: 'list', allowBlank: true, formulae: [`"${labels.join(',')}"`], showErrorMessage: true, errorStyle: 'stop', error: `请选择：${labels.join('、')}` });
  }

  if (opts.instructions?.length) {
    const help = workbook.addWorksheet('说明');
    help.getColumn(1).width = 110;
    opts.instructions.forEach((line, i) => {
      const c = help.getCell(i + 1, 1);
      c.value = line;
      c.alignment = { wrapText: true, vertical: 'top' };
      if (i === 0) c.font = { bold: true, size: 14 };
    });
  }
  const ref = opts.reference;
  if (ref) {
    const i = columnOf(ref.forKey);
    if (i < 0) throw new Error(`tabular: no column ${ref.forKey} for the reference dropdown`);
    const sheet = workbook.addWorksheet(ref.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.addRow(ref.header).font = { bold: true };
    ref.header.forEach((h, c) => {
      sheet.getColumn(c + 1).width = ref.widths?.[c] ?? Math.min(60, displayWidth(h) + 4);
    });
    for (const r of ref.rows) sheet.addRow(r);
    if (ref.rows.length > 0) {
      const letter = columnLetter(i);
      validations.add(`${letter}2:${letter}${last}`, {
        type: 'list',
        allowBlank: true,
        formulae: [sheetRef(ref.name, ref.listColumn, 2, ref.rows.length + 1)],
        showErrorMessage: false,
      });
    }
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/**
 * The uploaded rows, at the line numbers the errors name, with an error column (错误说明) and
 * the offending cells shaded, plus a sheet listing every error (file-level ones too). A clerk
 * corrects this workbook and uploads it as it is: the error column is read past.
 */
export async function buildErrorReport(table: Pick<ParsedTable<unknown>, 'source'>, errors: RowError[]): Promise<Buffer> {
  // Written row by row (each row committed as it is done): the report of a 20,000-row upload
  // must fit the api's heap cap, which a whole Workbook model of it did not.
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const written = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: true });
  const byRow = new Map<number, RowError[]>();
  for (const e of errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  const source = table.source;
  const header = source?.lines.find((l) => l.role === 'header');
  const ws = workbook.addWorksheet(source?.name ?? '错误报告', header ? { views: [{ state: 'frozen', ySplit: header.row }] } : {});
  if (source && header) {
    const headerTexts = header.cells.map((v) => {
      const t = cellToString(v);
      return t.ok ? t.value.trim() : '';
    });
    const width = source.lines.reduce((w, l) => Math.max(w, l.cells.length), 0);
    const existing = headerTexts.findIndex((t) => normaliseHeader(t) === normaliseHeader(ERROR_REPORT_COLUMN));
    const errorCol = existing >= 0 ? existing : width;
    const indexOf = new Map(headerTexts.map((t, i) => [t, i]));
    for (let i = 0; i < width; i++) ws.getColumn(i + 1).width = Math.min(40, Math.max(10, displayWidth(headerTexts[i] ?? '') + 4));
    ws.getColumn(errorCol + 1).width = 70;
    const errorFill: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } };
    const warnFill: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFEB9C' } };
    for (const line of source.lines) {
      const row = ws.getRow(line.row);
      line.cells.forEach((v, i) => {
        if (i === errorCol || v === null) return;
        const c = row.getCell(i + 1);
        c.value = v;
        if (typeof v === 'string' && ID_LIKE.test(v)) c.numFmt = '@';
        else if (v instanceof Date) c.numFmt = 'yyyy-mm-dd';
      });
      const note = row.getCell(errorCol + 1);
      if (line.role === 'header') {
        row.font = { bold: true };
        note.value = ERROR_REPORT_COLUMN;
      } else if (line.role === 'data') {
        const found = byRow.get(line.row) ?? [];
        note.value = found.length ? found.map((e) => (e.severity === 'warning' ? `提示：${e.message}` : e.message)).join('\n') : null;
        note.alignment = { wrapText: true, vertical: 'top' };
        const real = found.filter((e) => e.severity !== 'warning');
        if (found.length) note.fill = real.length ? errorFill : warnFill;
        for (const e of real) {
          const i = e.column === null ? undefined : indexOf.get(e.column);
          if (i !== undefined) row.getCell(i + 1).fill = errorFill;
        }
      }
      row.commit();
    }
  }
  ws.commit();
  const list = workbook.addWorksheet('错误列表', { views: [{ state: 'frozen', ySplit: 1 }] });
  list.columns = [
    { header: '行号', width: 8 },
    { header: '列', width: 14 },
    { header: '类型', width: 8 },
    { header: '代码', width: 28 },
    { header: '说明', width: 90 },
  ];
  list.getRow(1).font = { bold: true };
  for (const e of [...errors].sort((a, b) => a.row - b.row)) {
    list.addRow([e.row === 0 ? '整个文件' : e.row, e.column ?? '', e.severity === 'warning' ? '提示' : '错误', e.code, e.message]).commit();
  }
  list.commit();
  await workbook.commit();
  await written;
  return Buffer.concat(chunks);
}

/** Uploaded spreadsheets: parsing. The module as a whole is described in ./tabular.ts. */
import { createHash } from 'node:crypto';
import { CheckedRow, ColumnSpec, DEFAULT_MAX_ERRORS, DEFAULT_MAX_ROWS, ERROR_REPORT_COLUMN, ParseTableOptions, ParsedTable, RowError, SourceSheet, UploadedFile, XLSX_MAX_UNPACKED_BYTES } from './types';
import { EMPTY_CELL, HeaderTest, Sheet, SheetRow, columnLetter, detectFormat, fileError, isEmptyCell } from './read';
import { readCsv } from './read-csv';
import { readXlsx } from './read-xlsx';
import { buildHeaderLookup, headerText, normaliseHeader } from './headers';

interface Mapped {
  index: number;
  spec: ColumnSpec<unknown>;
  label: string;
}

class ErrorList {
  readonly items: RowError[] = [];
  full = false;

  constructor(private readonly cap: number) {}

  /** false once the cap is reached: the caller stops looking. */
  add(e: RowError): boolean {
    if (this.full) return false;
    if (this.items.length >= this.cap) {
      this.full = true;
      this.items.push(
        fileError('UPLOAD.TOO_MANY_ERRORS', `错误太多，只列出前 ${this.cap} 条；请改正后重新上传 / too many errors; only the first ${this.cap} are listed`),
      );
      return false;
    }
    this.items.push(e);
    return true;
  }
}

function checkHeader(
  sheet: Sheet,
  header: SheetRow,
  columns: ColumnSpec<unknown>[],
  lookup: Map<string, ColumnSpec<unknown>>,
  ignored: Set<string>,
  errors: ErrorList,
): Mapped[] {
  const line = header.line;
  const mapped: Mapped[] = [];
  const seen = new Map<string, string>();
  const named = new Set<number>();
  const expected = columns.map((c) => c.header).join('、');
  header.cells.forEach((c, index) => {
    const letter = columnLetter(index);
    if (c.issue) {
      named.add(index);
      errors.add({ row: line, column: letter, code: c.issue.code, message: `第 ${line} 行表头第 ${letter} 列${c.issue.message}` });
      return;
    }
    const text = headerText(c);
    if (text === '') return;
    named.add(index);
    if (ignored.has(normaliseHeader(text))) return;
    const spec = lookup.get(normaliseHeader(text));
    if (!spec) {
      errors.add({
        row: line,
        column: text,
        code: 'UPLOAD.UNKNOWN_COLUMN',
        message: `第 ${line} 行表头“${text}”不是本表的列（应为：${expected}）/ unknown column “${text}” (expected: ${columns.map((s) => s.header).join(', ')})`,
      });
      return;
    }
    const first = seen.get(spec.key);
    if (first !== undefined) {
      errors.add({
        row: line,
        column: text,
        code: 'UPLOAD.DUPLICATE_COLUMN',
        message: `第 ${line} 行表头“${text}”与“${first}”是同一列，重复了 / column “${text}” duplicates “${first}”`,
      });
      return;
    }
    seen.set(spec.key, text);
    mapped.push({ index, spec, label: text });
    if (sheet.hiddenColumns.has(index)) {
      errors.add({
        row: line,
        column: text,
        code: 'UPLOAD.HIDDEN_CONTENT',
        message: `“${text}”列（第 ${letter} 列）被隐藏了；请取消隐藏并检查后再上传 / column “${text}” is hidden; unhide and check it before uploading`,
      });
    }
  });
  for (const spec of columns) {
    if (spec.required && !seen.has(spec.key)) {
      errors.add({
        row: line,
        column: spec.header,
        code: 'UPLOAD.MISSING_COLUMN',
        message: `第 ${line} 行表头缺少必填列“${spec.header}” / missing required column “${spec.header}”`,
      });
    }
  }
  // Data under a blank header would be silently dropped; the committee must see it is ignored.
  const reported = new Set<number>();
  for (const row of sheet.rows) {
    row.cells.forEach((c, index) => {
      if (named.has(index) || reported.has(index) || isEmptyCell(c)) return;
      reported.add(index);
      const letter = columnLetter(index);
      errors.add({
        row: row.line,
        column: null,
        code: 'UPLOAD.UNKNOWN_COLUMN',
        message: `第 ${letter} 列没有表头，但第 ${row.line} 行在该列有内容 / column ${letter} has no header but row ${row.line} has data in it`,
      });
    });
  }
  return mapped;
}

function parseRows<R>(sheet: Sheet, mapped: Mapped[], columns: ColumnSpec<unknown>[], errors: ErrorList): Array<CheckedRow<R>> {
  const out: Array<CheckedRow<R>> = [];
  for (const row of sheet.rows) {
    const line = row.line;
    const failed: string[] = [];
    const add = (e: RowError): boolean => errors.add(e);
    if (row.hidden) {
      if (
        !add({
          row: line,
          column: null,
          code: 'UPLOAD.HIDDEN_CONTENT',
          message: `第 ${line} 行被隐藏或被筛选掉了；请取消隐藏/筛选并检查后再上传 / row ${line} is hidden or filtered out; unhide it and check it before uploading`,
        })
      )
        break;
    }
    const values: Record<string, unknown> = {};
    for (const spec of columns) values[spec.key] = null;
    for (const m of mapped) {
      const c = row.cells[m.index] ?? EMPTY_CELL;
      const at = `第 ${line} 行“${m.label}”`;
      let problem: { code: string; message: string } | null = null;
      if (c.issue) problem = c.issue;
      else if (isEmptyCell(c)) {
        if (m.spec.required) problem = { code: 'UPLOAD.REQUIRED', message: '不能为空 / is required' };
      } else {
        const parsed = m.spec.parse(c.value);
        if (parsed.ok) values[m.spec.key] = parsed.value;
        else problem = parsed;
      }
      if (problem) {
        failed.push(m.spec.key);
        if (!add({ row: line, column: m.label, code: problem.code, message: `${at}${problem.message}` })) break;
      }
    }
    if (errors.full) break;
    out.push({ row: line, values: values as R, failed });
  }
  return out;
}

function sourceOf(sheet: Sheet): SourceSheet {
  const line = (role: 'preamble' | 'header' | 'data') => (r: SheetRow) => ({ row: r.line, role, cells: r.cells.map((c) => c.value) });
  return {
    name: sheet.name,
    lines: [...sheet.preamble.map(line('preamble')), ...(sheet.header ? [line('header')(sheet.header)] : []), ...sheet.rows.map(line('data'))],
  };
}

/**
 * Reads an uploaded CSV or .xlsx against `columns`. Never throws for anything wrong with the file
 * (only for a contradictory `columns` list, which is a programming error).
 */
export async function parseTable<R = Record<string, unknown>>(
  file: UploadedFile,
  columns: ColumnSpec<unknown>[],
  opts: ParseTableOptions = {},
): Promise<ParsedTable<R>> {
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  const maxErrors = opts.maxErrors ?? DEFAULT_MAX_ERRORS;
  if (!Number.isSafeInteger(maxRows) || maxRows < 1) throw new RangeError('tabular: maxRows must be a positive integer');
  if (!Number.isSafeInteger(maxErrors) || maxErrors < 1) throw new RangeError('tabular: maxErrors must be a positive integer');
  const lookup = buildHeaderLookup(columns);
  const ignored = new Set([ERROR_REPORT_COLUMN, ...(opts.ignoreColumns ?? [])].map(normaliseHeader));
  const checksum = createHash('sha256').update(file.buffer).digest('hex');
  const unread = (error: RowError, format: 'csv' | 'xlsx' | null): ParsedTable<R> => ({
    rows: [],
    errors: [error],
    checksum,
    format,
    dataRowCount: 0,
    headerRow: null,
    checkedRows: [],
    columnLabels: {},
    source: null,
  });

  // A header names at least two of our columns (one, for a one-column table).
  const enough = Math.min(2, columns.length);
  const isHeader: HeaderTest = (row) => row.cells.filter((c) => lookup.has(normaliseHeader(headerText(c)))).length >= enough;

  const detected = file.buffer.length === 0 ? { kind: 'csv' as const } : detectFormat(file);
  if (detected.kind === 'refused') return unread(detected.error, null);
  const read =
    detected.kind === 'xlsx'
      ? await readXlsx(file.buffer, maxRows, opts.maxUnpackedBytes ?? XLSX_MAX_UNPACKED_BYTES, isHeader)
      : readCsv(file.buffer, maxRows, isHeader);
  if (!read.ok) return unread(read.error, read.format);

  const { sheet } = read;
  let mapped: Mapped[] = [];
  const result = (errors: RowError[], checked: Array<CheckedRow<R>> = []): ParsedTable<R> => ({
    rows: errors.length > 0 ? [] : checked.map(({ row, values }) => ({ row, values })),
    errors,
    checksum,
    format: sheet.format,
    dataRowCount: sheet.rows.length + (sheet.tooMany ? 1 : 0),
    headerRow: sheet.header?.line ?? null,
    checkedRows: checked,
    columnLabels: Object.fromEntries(mapped.map((m) => [m.spec.key, m.label])),
    source: opts.keepSource === false ? null : sourceOf(sheet),
  });
  if (sheet.header === null) return result([fileError('UPLOAD.EMPTY', '文件是空的 / the file is empty')]);

  const errors = new ErrorList(maxErrors);
  mapped = checkHeader(sheet, sheet.header, columns, lookup, ignored, errors);
  if (sheet.rows.length === 0) errors.add(fileError('UPLOAD.EMPTY', '文件只有表头，没有数据行 / the file has a header but no data rows'));
  if (sheet.tooMany) {
    errors.add(
      fileError('UPLOAD.TOO_MANY_ROWS', `数据超过 ${maxRows} 行；请拆分成几个文件分批上传 / more than ${maxRows} data rows; split the file and upload the parts`),
    );
  }
  if (errors.items.length > 0) return result(errors.items);

  const rows = parseRows<R>(sheet, mapped, columns, errors);
  return result(errors.items, rows);
}

/**
 * Uploaded spreadsheets (a month's deed entries, a village roster): CSV or .xlsx in, typed rows
 * out, all or nothing. A village committee fixes its sheet once and uploads again, so every problem
 * in every row is reported in one go (up to a cap), each with the line number Excel shows and the
 * column header as written in the file. When `errors` is not empty, `rows` is empty: a caller
 * cannot import half a sheet by forgetting to look at the errors.
 *
 * Row numbers are 1-based and count the header line, i.e. they are what the committee sees in the
 * margin of Excel (for CSV: the physical line where the record starts). File-level problems have
 * `row: 0, column: null`.
 *
 * The header is the first row that names the table's columns: title rows (merged or not), notes
 * and blank lines above it are read past, and `headerRow` says where it was found. While the
 * header is wrong no row is parsed (a wrong header would make every cell look wrong); otherwise
 * `checkedRows` carries every row with what parsed, so that the caller's own checks (does the
 * card exist, does the item need a quantity) run in the same pass as the cell checks.
 *
 * Messages are Chinese first, then English. A column's `parse` returns only the predicate
 * ('不是有效数字 / not a number'); the row and column are put in front here, so custom parsers
 * follow the same convention.
 */
import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import type { Cell, Worksheet } from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';

// ---------------------------------------------------------------------------------------------
// Public types

/** Normalised content of one cell: strings are trimmed; an empty cell is null or ''. */
export type CellValue = string | number | boolean | Date | null;

export type CellParseResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export type CellParser<T> = (raw: CellValue) => CellParseResult<T>;

export interface ColumnSpec<T> {
  /** Field name in the parsed row object. */
  key: string;
  /** Header written in templates, e.g. '身份证号'. */
  header: string;
  /** Other accepted headers (e.g. 'idNumber', '身份证'). */
  aliases?: string[];
  /**
   * The column must exist and its cells must be non-empty. `parse` is never called for an empty
   * cell: an empty optional cell becomes null, so a parser only ever sees real content.
   */
  required: boolean;
  /** Value for the template's example row. */
  example?: string;
  parse: CellParser<T>;
}

export interface RowError {
  /** 1-based line/row number as shown by Excel, header included; 0 for file-level errors. */
  row: number;
  /** Header text as in the file (the spec header for a missing column); null for row/file errors. */
  column: string | null;
  code: string;
  message: string;
  /** A notice that does not refuse the file (a likely duplicate); absent for errors. */
  severity?: 'warning';
}

/** One data row with what parsed; `failed` lists the keys whose cell was reported as an error. */
export interface CheckedRow<R> {
  row: number;
  values: R;
  failed: string[];
}

/** What the file held, line by line as Excel numbers them, for an annotated error report. */
export interface SourceSheet {
  name: string | null;
  lines: Array<{ row: number; role: 'preamble' | 'header' | 'data'; cells: CellValue[] }>;
}

export interface ParsedTable<R> {
  /** Parsed rows, in file order; always empty when `errors` is not. */
  rows: Array<{ row: number; values: R }>;
  errors: RowError[];
  /** sha256 (hex) of the uploaded bytes, to recognise the same file uploaded twice. */
  checksum: string;
  /** null when the file was refused before it could be read as either. */
  format: 'csv' | 'xlsx' | null;
  /** Non-empty data rows found (at most maxRows + 1), for "N 行，M 处错误" summaries. */
  dataRowCount: number;
  /** Line of the header row (found by its column names below any title rows); null when none. */
  headerRow: number | null;
  /**
   * Every data row with the cells that did parse, so that checks beyond the cells (does the card
   * exist, does the item need a quantity) can run in the same pass. Empty when the file or its
   * header is unusable (then the header must be fixed first).
   */
  checkedRows: Array<CheckedRow<R>>;
  /** Header text as written in the file, by column key, for the columns found. */
  columnLabels: Record<string, string>;
  /** The rows read, with their line numbers; null when the file could not be read. */
  source: SourceSheet | null;
}

/** The shape multer hands over. */
export interface UploadedFile {
  buffer: Buffer;
  originalname: string;
  /** Not trusted: Windows browsers send application/vnd.ms-excel for CSV; the bytes decide. */
  mimetype?: string;
}

export interface ParseTableOptions {
  /** Data rows accepted (header excluded); default 20000. */
  maxRows?: number;
  /** Errors listed before the list is cut with UPLOAD.TOO_MANY_ERRORS; default 1000. */
  maxErrors?: number;
  /** A workbook unpacking to more is refused unread (UPLOAD.XLSX_TOO_LARGE); default XLSX_MAX_UNPACKED_BYTES. */
  maxUnpackedBytes?: number;
  /** Headers of columns a committee's own sheet often has and that are read past, e.g. '序号'. */
  ignoreColumns?: string[];
}

/** The column our annotated error report adds; a corrected report uploads again as it is. */
export const ERROR_REPORT_COLUMN = '错误说明';

/** Non-empty rows looked at for the header before the first one is taken as the header. */
export const HEADER_SCAN_ROWS = 30;

export const DEFAULT_MAX_ROWS = 20_000;
export const DEFAULT_MAX_ERRORS = 1_000;

/**
 * Unpacked bytes a workbook may hold. exceljs reads a whole workbook at once. Measured here: a
 * 20,000-row, 8-column upload unpacks to 9 MB and reads in 2.2 s at ~200 MB RSS; 22 MB unpacked
 * reads in 5 s within a 200 MB heap; a 9.9 MB file (under the upload limit) of 170,000 rows
 * unpacked to ~75 MB and took 15 s and 760 MB, blocking the api meanwhile. Checked before
 * exceljs sees the file: from the zip's directory first, then by inflating each entry once,
 * streaming, so a directory that lies about the sizes is caught too (see checkZip).
 */
export const XLSX_MAX_UNPACKED_BYTES = 24 * 1024 * 1024;

/** Every code this module reports, for the error-code table and API docs. */
export const TABULAR_ERROR_CODES = [
  'UPLOAD.UNSUPPORTED_FORMAT',
  'UPLOAD.UNREADABLE',
  'UPLOAD.EMPTY',
  'UPLOAD.TOO_MANY_ROWS',
  'UPLOAD.XLSX_TOO_LARGE',
  'UPLOAD.TOO_MANY_ERRORS',
  'UPLOAD.MISSING_COLUMN',
  'UPLOAD.UNKNOWN_COLUMN',
  'UPLOAD.DUPLICATE_COLUMN',
  'UPLOAD.FORMULA_NOT_ALLOWED',
  'UPLOAD.CELL_ERROR',
  'UPLOAD.MERGED_CELLS',
  'UPLOAD.HIDDEN_CONTENT',
  'UPLOAD.REQUIRED',
  'UPLOAD.INVALID_NUMBER',
  'UPLOAD.OUT_OF_RANGE',
  'UPLOAD.INVALID_DATE',
  'UPLOAD.TOO_LONG',
  'UPLOAD.INVALID_FORMAT',
  'UPLOAD.INVALID_VALUE',
  'UPLOAD.NUMBER_PRECISION_LOST',
] as const;
export type TabularErrorCode = (typeof TABULAR_ERROR_CODES)[number];

// ---------------------------------------------------------------------------------------------
// Reusable cell parsers

const ok = <T>(value: T): CellParseResult<T> => ({ ok: true, value });
const fail = (code: TabularErrorCode, message: string): CellParseResult<never> => ({ ok: false, code, message });

/** Excel keeps 15 significant digits; anything longer in a number cell was already rounded. */
const EXCEL_DIGITS = 15;

/** What Excel writes into a CSV (and shows) for an ID number in a General-format column. */
const SCIENTIFIC_TEXT = /^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$/;

// Control characters other than tab/newline never belong in a cell and break exports.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/u;
const LINE_BREAK_OR_TAB = /[\t\n\r]/u;

const EXCEL_ERROR_LITERALS = new Set(['#N/A', '#REF!', '#NAME?', '#DIV/0!', '#NULL!', '#VALUE!', '#NUM!', '#SPILL!', '#CALC!', '#GETTING_DATA']);

/** Plain decimal notation: String(1e-7) is '1e-7', which is not what the cell showed. */
function plainNumber(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/** Drops binary float noise (0.30000000000000004) the way Excel's display does. */
function excelRound(n: number): number {
  const r = Number(n.toPrecision(EXCEL_DIGITS));
  return Object.is(r, -0) ? 0 : r;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** exceljs hands out wall-clock values as UTC instants, so the UTC fields are what the sheet shows. */
function utcDateText(d: Date): string {
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

function utcDateTimeText(d: Date): string {
  const hasTime = d.getUTCHours() !== 0 || d.getUTCMinutes() !== 0 || d.getUTCSeconds() !== 0;
  if (!hasTime) return utcDateText(d);
  return `${utcDateText(d)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

const PRECISION_LOST_MESSAGE =
  '是超过 15 位的数字，Excel 已把末尾几位变成 0；请先把该列设置为“文本”格式，再重新填写 / ' +
  'is a number longer than 15 digits, which Excel has already rounded; format the column as Text and re-enter it';

const PRECISION_LOST_SCIENTIFIC_MESSAGE =
  '是科学计数法（如 1.10101E+17），原来的数字已丢失；请在 Excel 中把该列设置为“文本”格式，重新填写后再保存 / ' +
  'is in scientific notation, so the original digits are lost; format the column as Text in Excel and re-enter it';

/** A cell as text, for string columns: numbers as typed, without exponent or float noise. */
function cellToString(raw: CellValue): CellParseResult<string> {
  if (raw === null) return ok('');
  if (typeof raw === 'string') return ok(raw);
  if (typeof raw === 'boolean') return ok(raw ? 'TRUE' : 'FALSE');
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) return fail('UPLOAD.INVALID_FORMAT', '不是有效内容 / invalid content');
    return ok(utcDateTimeText(raw));
  }
  if (!Number.isFinite(raw)) return fail('UPLOAD.INVALID_NUMBER', '不是有效数字 / not a number');
  if (Number.isInteger(raw) && Math.abs(raw) >= 10 ** EXCEL_DIGITS) {
    return fail('UPLOAD.NUMBER_PRECISION_LOST', PRECISION_LOST_MESSAGE);
  }
  return ok(plainNumber(excelRound(raw)));
}

/** Full-width digits, signs and dots (typed with a Chinese IME) become ASCII. */
function normaliseNumeric(s: string): string {
  return s.normalize('NFKC').trim();
}

/** '1,234,567' as Excel writes a number with a thousands format into CSV; loose commas are not. */
function stripThousands(s: string): string {
  return /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/u.test(s) ? s.replace(/,/gu, '') : s;
}

function rangeMessage(min: number, max: number): string {
  return `应在 ${min} 到 ${max} 之间 / must be between ${min} and ${max}`;
}

interface NumericText {
  value: number;
  decimals: number;
}

/** A number cell or numeric text; null when it is neither. */
function readNumeric(raw: CellValue): NumericText | null {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return null;
    const value = excelRound(raw);
    const fraction = plainNumber(value).split('.')[1] ?? '';
    return { value, decimals: fraction.length };
  }
  if (typeof raw !== 'string') return null;
  const s = stripThousands(normaliseNumeric(raw));
  const m = /^[+-]?(?:\d+(?:\.(\d*))?|\.(\d+))$/u.exec(s);
  if (!m) return null;
  const value = Number(s);
  if (!Number.isFinite(value)) return null;
  const fraction = (m[1] ?? m[2] ?? '').replace(/0+$/u, '');
  return { value: Object.is(value, -0) ? 0 : value, decimals: fraction.length };
}

const DAY_MS = 86_400_000;
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const MIN_DATE_YEAR = 1900;
const MAX_DATE_YEAR = 2100;

const INVALID_DATE_MESSAGE =
  '不是有效日期，请写成 2026-03-05、2026/3/5 或 2026年3月5日 / not a valid date (write e.g. 2026-03-05)';

const SEPARATED_DATE = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?$/u;
const CHINESE_DATE = /^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$/u;

function calendarDate(year: number, month: number, day: number): CellParseResult<string> {
  if (year < MIN_DATE_YEAR || year > MAX_DATE_YEAR) {
    return fail('UPLOAD.INVALID_DATE', `年份 ${year} 不合理 / implausible year ${year}`);
  }
  const d = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    return fail('UPLOAD.INVALID_DATE', `日期 ${year}-${pad2(month)}-${pad2(day)} 不存在 / no such date`);
  }
  return ok(utcDateText(d));
}

function parseDate(raw: CellValue): CellParseResult<string> {
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) return fail('UPLOAD.INVALID_DATE', INVALID_DATE_MESSAGE);
    return calendarDate(raw.getUTCFullYear(), raw.getUTCMonth() + 1, raw.getUTCDate());
  }
  if (typeof raw === 'number') {
    // A date cell that lost its date format shows as its serial number; text '45000' is not a date.
    if (!Number.isInteger(raw) || raw < 20_000 || raw > 80_000) return fail('UPLOAD.INVALID_DATE', INVALID_DATE_MESSAGE);
    const d = new Date(EXCEL_EPOCH_MS + raw * DAY_MS);
    return calendarDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }
  if (typeof raw !== 'string') return fail('UPLOAD.INVALID_DATE', INVALID_DATE_MESSAGE);
  const s = raw.normalize('NFKC').trim();
  const sep = SEPARATED_DATE.exec(s);
  if (sep) return calendarDate(Number(sep[1]), Number(sep[3]), Number(sep[4]));
  const cn = CHINESE_DATE.exec(s.replace(/\s+/gu, ''));
  if (cn) return calendarDate(Number(cn[1]), Number(cn[2]), Number(cn[3]));
  return fail('UPLOAD.INVALID_DATE', INVALID_DATE_MESSAGE);
}

const TRUE_WORDS = ['是', '有', '对', 'y', 'yes', 'true', '1', '√', '✓', '✔'];
const FALSE_WORDS = ['否', '无', '不是', '没有', 'n', 'no', 'false', '0', '×', '✗', '✘'];

const foldChoice = (s: string): string => s.normalize('NFKC').trim().toLowerCase();

export interface StringCellOptions {
  /** Longest accepted value, in characters (code points, so 𠮷 counts once). */
  max: number;
  pattern?: RegExp;
  /** Code when `pattern` does not match; default UPLOAD.INVALID_FORMAT. */
  code?: string;
  /** Predicate message when `pattern` does not match ('zh / en'). */
  message?: string;
  /** Applied before the checks, e.g. upper-casing the x of an ID number. */
  transform?: (s: string) => string;
  /** Allow line breaks and tabs (a remarks column); other columns refuse them. */
  multiline?: boolean;
}

export const cell = {
  string(opts: StringCellOptions): CellParser<string> {
    return (raw) => {
      if (typeof raw === 'string' && SCIENTIFIC_TEXT.test(raw.trim())) {
        return fail('UPLOAD.NUMBER_PRECISION_LOST', PRECISION_LOST_SCIENTIFIC_MESSAGE);
      }
      const text = cellToString(raw);
      if (!text.ok) return text;
      const s = opts.transform ? opts.transform(text.value.trim()) : text.value.trim();
      if (s === '') return fail('UPLOAD.REQUIRED', '不能为空 / is required');
      if (CONTROL_CHARS.test(s) || (!opts.multiline && LINE_BREAK_OR_TAB.test(s))) {
        return fail('UPLOAD.INVALID_FORMAT', '含有换行或不可见字符 / contains line breaks or control characters');
      }
      const length = Array.from(s).length;
      if (length > opts.max) return fail('UPLOAD.TOO_LONG', `超过 ${opts.max} 个字（现有 ${length} 个）/ longer than ${opts.max} characters`);
      if (opts.pattern && !opts.pattern.test(s)) {
        return { ok: false, code: opts.code ?? 'UPLOAD.INVALID_FORMAT', message: opts.message ?? '格式不正确 / invalid format' };
      }
      return ok(s);
    };
  },

  integer(opts: { min: number; max: number }): CellParser<number> {
    return (raw) => {
      const n = readNumeric(raw);
      if (n === null) return fail('UPLOAD.INVALID_NUMBER', '不是有效数字 / not a number');
      if (n.decimals > 0) return fail('UPLOAD.INVALID_NUMBER', '必须是整数 / must be a whole number');
      if (!Number.isSafeInteger(n.value) || n.value < opts.min || n.value > opts.max) {
        return fail('UPLOAD.OUT_OF_RANGE', rangeMessage(opts.min, opts.max));
      }
      return ok(n.value);
    };
  },

  /** A number; `maxDecimals` (≤ 6) keeps the rule engine's rounding to micro-units exact. */
  decimal(opts: { min: number; max: number; maxDecimals: number }): CellParser<number> {
    return (raw) => {
      const n = readNumeric(raw);
      if (n === null) return fail('UPLOAD.INVALID_NUMBER', '不是有效数字 / not a number');
      if (n.decimals > opts.maxDecimals) {
        return fail('UPLOAD.INVALID_NUMBER', `最多 ${opts.maxDecimals} 位小数 / at most ${opts.maxDecimals} decimal places`);
      }
      if (n.value < opts.min || n.value > opts.max) return fail('UPLOAD.OUT_OF_RANGE', rangeMessage(opts.min, opts.max));
      return ok(n.value);
    };
  },

  /** Calendar date as 'YYYY-MM-DD'; `min`/`max` are 'YYYY-MM-DD' too. */
  date(opts: { min?: string; max?: string } = {}): CellParser<string> {
    return (raw) => {
      const d = parseDate(raw);
      if (!d.ok) return d;
      if ((opts.min !== undefined && d.value < opts.min) || (opts.max !== undefined && d.value > opts.max)) {
        const zh = `应在 ${opts.min ?? '…'} 到 ${opts.max ?? '…'} 之间`;
        const en = `must be between ${opts.min ?? '…'} and ${opts.max ?? '…'}`;
        return fail('UPLOAD.OUT_OF_RANGE', `${zh} / ${en}`);
      }
      return d;
    };
  },

  /**
   * One of a fixed set of labels, compared case- and width-insensitively: `oneOf({ 男: 'M', 女: 'F' })`
   * or `oneOf(['A', 'B'])`.
   */
  oneOf<T = string>(choices: Readonly<Record<string, T>> | readonly string[]): CellParser<T> {
    const entries: Array<[string, T]> = Array.isArray(choices)
      ? (choices as readonly string[]).map((c) => [c, c as T])
      : Object.entries(choices as Readonly<Record<string, T>>);
    const byLabel = new Map(entries.map(([label, value]) => [foldChoice(label), value]));
    const list = entries.map(([label]) => label).join('、');
    return (raw) => {
      const text = cellToString(raw);
      const key = text.ok ? foldChoice(text.value) : '';
      if (byLabel.has(key)) return ok(byLabel.get(key) as T);
      return fail('UPLOAD.INVALID_VALUE', `应为以下之一：${list} / must be one of: ${entries.map(([l]) => l).join(', ')}`);
    };
  },

  /** 是/否, Y/N, TRUE/FALSE, 1/0, √/×, or an Excel boolean cell. */
  boolean(): CellParser<boolean> {
    return (raw) => {
      if (typeof raw === 'boolean') return ok(raw);
      const key = typeof raw === 'string' || typeof raw === 'number' ? foldChoice(String(raw)) : '';
      if (TRUE_WORDS.includes(key)) return ok(true);
      if (FALSE_WORDS.includes(key)) return ok(false);
      return fail('UPLOAD.INVALID_VALUE', '应填“是”或“否” / must be yes or no');
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Reading the file into a neutral sheet

interface CellIssue {
  code: TabularErrorCode;
  /** Predicate, prefixed with the row and column by the caller. */
  message: string;
}

interface SheetCell {
  value: CellValue;
  issue?: CellIssue;
}

interface SheetRow {
  line: number;
  cells: SheetCell[];
  hidden: boolean;
}

interface Sheet {
  format: 'csv' | 'xlsx';
  /** Worksheet name (xlsx). */
  name: string | null;
  header: SheetRow | null;
  /** The header row was recognised by its column names, not merely taken as the first row. */
  headerFound: boolean;
  /** Non-empty rows above the header: a title (merged or not), a village name, notes. */
  preamble: SheetRow[];
  rows: SheetRow[];
  /** More than maxRows data rows; reading stopped at maxRows + 1. */
  tooMany: boolean;
  /** 0-based indexes of hidden columns (xlsx). */
  hiddenColumns: Set<number>;
}

type ReadResult = { ok: true; sheet: Sheet } | { ok: false; format: 'csv' | 'xlsx' | null; error: RowError };

/** Does this row name the table's columns? */
type HeaderTest = (row: SheetRow) => boolean;

function emptySheet(format: 'csv' | 'xlsx', name: string | null): Sheet {
  return { format, name, header: null, headerFound: false, preamble: [], rows: [], tooMany: false, hiddenColumns: new Set() };
}

/**
 * Sorts the non-empty rows of a sheet as they are read: a committee's own sheet often starts with
 * a title ("东村2026年11月信义积分登记表", merged across the columns or not) and a line of notes,
 * so the header is the first row that names the columns. When none of the first HEADER_SCAN_ROWS
 * rows does, the first row is taken as the header, and its errors then say what is wrong.
 */
class SheetCollector {
  private pending: SheetRow[] = [];

  constructor(
    readonly sheet: Sheet,
    private readonly isHeader: HeaderTest,
    private readonly maxRows: number,
  ) {}

  /** false once there are more than maxRows data rows: the reader stops. */
  add(row: SheetRow): boolean {
    if (this.sheet.header !== null) return this.data(row);
    if (this.isHeader(row)) {
      this.sheet.header = row;
      this.sheet.headerFound = true;
      this.sheet.preamble = this.pending;
      this.pending = [];
      return true;
    }
    this.pending.push(row);
    return this.pending.length < HEADER_SCAN_ROWS || this.fallBack();
  }

  finish(): Sheet {
    if (this.sheet.header === null && this.pending.length > 0) this.fallBack();
    return this.sheet;
  }

  private fallBack(): boolean {
    const [first, ...rest] = this.pending;
    this.pending = [];
    this.sheet.header = first ?? null;
    return rest.every((r) => this.data(r));
  }

  private data(row: SheetRow): boolean {
    if (this.sheet.rows.length >= this.maxRows) {
      this.sheet.tooMany = true;
      return false;
    }
    this.sheet.rows.push(row);
    return true;
  }
}

const EMPTY_CELL: SheetCell = { value: null };

function fileError(code: TabularErrorCode, message: string): RowError {
  return { row: 0, column: null, code, message };
}

function isEmptyCell(c: SheetCell): boolean {
  return c.issue === undefined && (c.value === null || (typeof c.value === 'string' && c.value.trim() === ''));
}

/** 0 → A, 25 → Z, 26 → AA: the letters Excel shows above the column. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    s = String.fromCharCode(65 + rem) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function textCell(raw: string): SheetCell {
  const value = raw.trim();
  if (EXCEL_ERROR_LITERALS.has(value.toUpperCase())) {
    return { value, issue: { code: 'UPLOAD.CELL_ERROR', message: `是错误值 ${value}（通常是公式出错）/ contains the error value ${value}` } };
  }
  return { value };
}

const FORMULA_MESSAGE =
  '是公式；请复制整张表后“选择性粘贴 → 数值”，再上传 / contains a formula; paste the sheet as values only and upload again';

function richTextOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && 'richText' in v && Array.isArray(v.richText)) {
    return v.richText.map((part: unknown) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '')).join('');
  }
  return null;
}

/** Cell content as the committee sees it, with what we must refuse flagged as an issue. */
function excelCell(c: Cell, mergeRangeOf: (address: string) => string | undefined): SheetCell {
  // The other cells of a merged range repeat the top-left value in exceljs; the range is
  // reported once, at its top-left cell.
  if (c.type === ExcelJS.ValueType.Merge) return EMPTY_CELL;
  const v: unknown = c.value;
  let out: SheetCell;
  if (v === null || v === undefined) out = EMPTY_CELL;
  else if (typeof v === 'string') out = textCell(v);
  else if (typeof v === 'number' || typeof v === 'boolean') out = { value: v };
  else if (v instanceof Date) out = { value: v };
  else if (typeof v === 'object' && ('formula' in v || 'sharedFormula' in v)) {
    // Even a formula that shows blank is refused: exceljs reads an empty cached result and a
    // missing one (files written by tools that never calculate) alike, so blank is not provable.
    out = { value: null, issue: { code: 'UPLOAD.FORMULA_NOT_ALLOWED', message: FORMULA_MESSAGE } };
  } else if (typeof v === 'object' && 'error' in v) {
    const e = String(v.error);
    out = { value: null, issue: { code: 'UPLOAD.CELL_ERROR', message: `是错误值 ${e}（通常是公式出错）/ contains the error value ${e}` } };
  } else if (typeof v === 'object' && 'hyperlink' in v && 'text' in v) {
    out = textCell(richTextOf(v.text) ?? String(v.text ?? ''));
  } else {
    const rich = richTextOf(v);
    out = rich !== null ? textCell(rich) : textCell(c.text);
  }
  if (c.isMerged && !isEmptyCell(out)) {
    const range = mergeRangeOf(c.address);
    return {
      value: out.value,
      issue: {
        code: 'UPLOAD.MERGED_CELLS',
        message: `是合并单元格${range ? `（${range}）` : ''}；请取消合并，并在每一行填上内容 / is a merged cell; unmerge it and fill in every row`,
      },
    };
  }
  return out;
}

/** Top-left address → 'A4:A6'; built on first use, since `model` serialises the whole sheet. */
function mergeRanges(ws: Worksheet): (address: string) => string | undefined {
  let byMaster: Map<string, string> | null = null;
  return (address) => {
    byMaster ??= new Map((ws.model.merges ?? []).map((range) => [range.split(':')[0] ?? range, range]));
    return byMaster.get(address);
  };
}

type ZipCheck = { ok: true } | { ok: false; reason: 'unreadable' } | { ok: false; reason: 'too-large'; bytes: number };

/**
 * Inflates every entry of a zip once, streaming, without keeping anything: the sizes in the zip's
 * directory may lie (a "zip bomb" of 400 KB claiming 1 KB inflated to 400 MB inside exceljs, at
 * 538 MB RSS, before its own length check refused it). yauzl checks each entry's real size
 * against the directory as it inflates and fails at the first byte too many, so after this the
 * claimed sizes are true and their total is within `max`. Refuses as soon as the claimed total
 * passes `max`, before inflating further.
 */
function checkZip(buffer: Buffer, max: number): Promise<ZipCheck> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ZipCheck, zip?: yauzl.ZipFile) => {
      if (settled) return;
      settled = true;
      zip?.close();
      resolve(r);
    };
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return done({ ok: false, reason: 'unreadable' });
      let claimed = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        claimed += entry.uncompressedSize;
        if (claimed > max) return done({ ok: false, reason: 'too-large', bytes: claimed }, zip);
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (openErr, stream) => {
          if (openErr || !stream) return done({ ok: false, reason: 'unreadable' }, zip);
          stream.on('error', () => done({ ok: false, reason: 'unreadable' }, zip));
          stream.on('end', () => zip.readEntry());
          stream.resume();
        });
      });
      zip.on('end', () => done({ ok: true }, zip));
      zip.on('error', () => done({ ok: false, reason: 'unreadable' }, zip));
      zip.readEntry();
    });
  });
}

async function readXlsx(buffer: Buffer, maxRows: number, maxUnpacked: number, isHeader: HeaderTest): Promise<ReadResult> {
  const workbook = new ExcelJS.Workbook();
  const unreadable = fileError(
    'UPLOAD.UNREADABLE',
    '无法读取该 Excel 文件，可能已损坏；请在 Excel 中打开并另存为 .xlsx 或 CSV 后重新上传 / ' +
      'the Excel file cannot be read (it may be damaged); open it in Excel, save it as .xlsx or CSV and upload again',
  );
  const zip = await checkZip(buffer, maxUnpacked);
  if (!zip.ok && zip.reason === 'unreadable') return { ok: false, format: 'xlsx', error: unreadable };
  if (!zip.ok && zip.reason === 'too-large') {
    const mb = (n: number) => Math.ceil(n / (1024 * 1024));
    return {
      ok: false,
      format: 'xlsx',
      error: fileError(
        'UPLOAD.XLSX_TOO_LARGE',
        `Excel 文件解压后超过 ${mb(maxUnpacked)} MB（至少 ${mb(zip.bytes)} MB）；请删去多余的工作表或拆分成几个文件，或另存为 CSV 后上传 / ` +
          `the workbook unpacks to over ${mb(maxUnpacked)} MB (at least ${mb(zip.bytes)} MB); remove other sheets or split it, or save it as CSV`,
      ),
    };
  }
  try {
    await workbook.xlsx.load(buffer as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  } catch {
    return { ok: false, format: 'xlsx', error: unreadable };
  }
  // The committee checked the sheets they could see; a hidden sheet is someone's scratch. The
  // data sheet is the first visible one whose header names our columns (a template may put its
  // instructions first); without one, the first visible sheet, so its header errors are reported.
  const visible = workbook.worksheets.filter((w) => w.state === undefined || w.state === 'visible');
  const candidates = visible.length > 0 ? visible : workbook.worksheets.slice(0, 1);
  let first: Sheet | null = null;
  for (const ws of candidates) {
    const sheet = readWorksheet(ws, maxRows, isHeader);
    if (sheet.headerFound) return { ok: true, sheet };
    first ??= sheet;
  }
  if (!first) return { ok: false, format: 'xlsx', error: unreadable };
  return { ok: true, sheet: first };
}

function readWorksheet(ws: Worksheet, maxRows: number, isHeader: HeaderTest): Sheet {
  const collector = new SheetCollector(emptySheet('xlsx', ws.name), isHeader, maxRows);
  const mergeRangeOf = mergeRanges(ws);
  for (let r = 1; r <= ws.rowCount; r++) {
    const row = ws.findRow(r);
    if (!row) continue;
    const cells: SheetCell[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(excelCell(row.getCell(c), mergeRangeOf));
    if (cells.every(isEmptyCell)) continue;
    if (!collector.add({ line: r, cells, hidden: row.hidden === true })) break;
  }
  const sheet = collector.finish();
  let width = sheet.header?.cells.length ?? 0;
  for (const r of sheet.rows) width = Math.max(width, r.cells.length);
  for (let c = 1; c <= width; c++) {
    if (ws.getColumn(c).hidden) sheet.hiddenColumns.add(c - 1);
  }
  return sheet;
}

/** UTF-8 unless the bytes are not valid UTF-8: Excel in China saves "CSV" as GBK/GB18030. */
function decodeCsv(buffer: Buffer): string {
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return new TextDecoder('utf-16le').decode(buffer.subarray(2));
  if (buffer[0] === 0xfe && buffer[1] === 0xff) return new TextDecoder('utf-16be').decode(buffer.subarray(2));
  const body = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? buffer.subarray(3) : buffer;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return new TextDecoder('gb18030').decode(body);
  }
}

/** Comma, or tab/semicolon when the header line has no comma (Excel's "Unicode text", EU locales). */
function detectDelimiter(headerLine: string): string {
  if (headerLine.includes(',')) return ',';
  if (headerLine.includes('\t')) return '\t';
  if (headerLine.includes(';')) return ';';
  return ',';
}

class StopReading extends Error {}

function readCsv(buffer: Buffer, maxRows: number, isHeader: HeaderTest): ReadResult {
  // Line endings are unified first: csv-parse counts a CRLF inside a quoted cell as two lines,
  // which would shift every later row number. A multi-line cell keeps its breaks as \n.
  let text = decodeCsv(buffer).replace(/^\uFEFF/u, '').replace(/\r\n?/gu, '\n');
  const firstLineEnd = text.indexOf('\n');
  const firstLine = firstLineEnd === -1 ? text : text.slice(0, firstLineEnd);
  let delimiter: string | null = null;
  // Excel writes and honours a leading "sep=;" line; it is blanked so line numbers stay put.
  const sepLine = /^sep=(.)\s*$/iu.exec(firstLine);
  if (sepLine) {
    delimiter = sepLine[1] ?? ',';
    text = text.slice(firstLine.length);
  }
  if (delimiter === null) {
    const headerLine = text.split('\n').find((l) => l.trim() !== '') ?? '';
    delimiter = detectDelimiter(headerLine);
  }

  const collector = new SheetCollector(emptySheet('csv', null), isHeader, maxRows);
  let previousEnd = 0;
  try {
    parseCsv(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      trim: true,
      skip_empty_lines: false,
      on_record: (record: string[], context: { lines: number }) => {
        // Records are consecutive (empty lines are records too), so each starts one line after
        // the previous one ended, however many lines a quoted cell spans.
        const line = previousEnd + 1;
        previousEnd = context.lines;
        const cells = record.map(textCell);
        if (cells.every(isEmptyCell)) return null;
        if (!collector.add({ line, cells, hidden: false })) throw new StopReading();
        return null;
      },
    });
  } catch (e) {
    if (!(e instanceof StopReading)) {
      const near = typeof e === 'object' && e !== null && 'lines' in e && typeof e.lines === 'number' ? e.lines : previousEnd + 1;
      return {
        ok: false,
        format: 'csv',
        error: fileError(
          'UPLOAD.UNREADABLE',
          `CSV 格式错误（约在第 ${near} 行，常见原因是引号没有成对）/ malformed CSV near line ${near} (often an unmatched quote)`,
        ),
      };
    }
  }
  return { ok: true, sheet: collector.finish() };
}

type Detected = { kind: 'xlsx' } | { kind: 'csv' } | { kind: 'refused'; error: RowError };

const UNSUPPORTED_HINT = '请在 Excel 中“另存为”Excel 工作簿（.xlsx）或 CSV 后重新上传 / save it as an Excel workbook (.xlsx) or CSV and upload again';

function startsWith(buffer: Buffer, bytes: number[]): boolean {
  return bytes.every((b, i) => buffer[i] === b);
}

function detectFormat(file: UploadedFile): Detected {
  const b = file.buffer;
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'xlsx' };
  if (startsWith(b, [0xd0, 0xcf, 0x11, 0xe0])) {
    // Old binary .xls, or an .xlsx with a password (also an OLE container).
    return {
      kind: 'refused',
      error: fileError('UPLOAD.UNSUPPORTED_FORMAT', `不支持旧版 .xls 或加密的 Excel 文件；${UNSUPPORTED_HINT}`),
    };
  }
  if (startsWith(b, [0xff, 0xfe]) || startsWith(b, [0xfe, 0xff])) return { kind: 'csv' };
  const head = b.subarray(0, 1024);
  // Bytes below 0x20 other than tab/line breaks (and a DOS EOF) appear in no UTF-8 or GBK text.
  const binary = head.some((byte) => byte < 0x20 && ![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1a].includes(byte));
  const prefix = head.toString('latin1').replace(/^(?:\xEF\xBB\xBF)?\s*/u, '');
  if (binary || prefix.startsWith('%PDF')) {
    return { kind: 'refused', error: fileError('UPLOAD.UNSUPPORTED_FORMAT', `文件不是表格（.xlsx 或 CSV）；${UNSUPPORTED_HINT}`) };
  }
  // Many web systems export an HTML table (or XML Spreadsheet 2003) named .xls.
  if (prefix.startsWith('<')) {
    return {
      kind: 'refused',
      error: fileError('UPLOAD.UNSUPPORTED_FORMAT', `该文件是网页或 XML 格式的表格，不是真正的 Excel 文件；${UNSUPPORTED_HINT}`),
    };
  }
  if (/\.xls[xm]$/iu.test(file.originalname)) {
    return {
      kind: 'refused',
      error: fileError('UPLOAD.UNREADABLE', '文件名是 .xlsx，但内容不是 Excel 工作簿，可能已损坏 / named .xlsx but not an Excel workbook; it may be damaged'),
    };
  }
  return { kind: 'csv' };
}

// ---------------------------------------------------------------------------------------------
// Headers

/** Case, width (（）vs ()), surrounding and inner spaces and a required-marker '*' do not matter. */
function normaliseHeader(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/\s+/gu, '')
    .replace(/^\*+|\*+$/gu, '')
    .toLowerCase();
}

function buildHeaderLookup(columns: ColumnSpec<unknown>[]): Map<string, ColumnSpec<unknown>> {
  const lookup = new Map<string, ColumnSpec<unknown>>();
  const keys = new Set<string>();
  for (const spec of columns) {
    if (keys.has(spec.key)) throw new Error(`tabular: duplicate column key ${spec.key}`);
    keys.add(spec.key);
    for (const name of [spec.header, ...(spec.aliases ?? [])]) {
      const norm = normaliseHeader(name);
      const other = lookup.get(norm);
      if (other && other !== spec) throw new Error(`tabular: header ${name} is used by both ${other.key} and ${spec.key}`);
      lookup.set(norm, spec);
    }
  }
  return lookup;
}

function headerText(c: SheetCell): string {
  const s = cellToString(c.value);
  return s.ok ? s.value.trim() : '';
}

// ---------------------------------------------------------------------------------------------
// Parsing

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
    source: sourceOf(sheet),
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

// ---------------------------------------------------------------------------------------------
// Templates

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
  const workbook = new ExcelJS.Workbook();
  const ws = workbook.addWorksheet(table.source?.name ?? '错误报告');
  const byRow = new Map<number, RowError[]>();
  for (const e of errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), e]);
  const source = table.source;
  const header = source?.lines.find((l) => l.role === 'header');
  if (source && header) {
    const headerTexts = header.cells.map((v) => {
      const t = cellToString(v);
      return t.ok ? t.value.trim() : '';
    });
    const width = Math.max(...source.lines.map((l) => l.cells.length));
    const existing = headerTexts.findIndex((t) => normaliseHeader(t) === normaliseHeader(ERROR_REPORT_COLUMN));
    const errorCol = existing >= 0 ? existing : width;
    const indexOf = new Map(headerTexts.map((t, i) => [t, i]));
    ws.views = [{ state: 'frozen', ySplit: header.row }];
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
        continue;
      }
      if (line.role !== 'data') continue;
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
  }
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
    list.addRow([e.row === 0 ? '整个文件' : e.row, e.column ?? '', e.severity === 'warning' ? '提示' : '错误', e.code, e.message]);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/**
 * Uploaded spreadsheets: the neutral sheet both readers fill (./read-xlsx.ts, ./read-csv.ts), the
 * header search they share, and which of the two a file is. The module as a whole is described in
 * ./tabular.ts.
 */
import { CellValue, HEADER_SCAN_ROWS, RowError, TabularErrorCode, UploadedFile } from './types';
import { EXCEL_ERROR_LITERALS } from './cells';

interface CellIssue {
  code: TabularErrorCode;
  /** Predicate, prefixed with the row and column by the caller. */
  message: string;
}

export interface SheetCell {
  value: CellValue;
  issue?: CellIssue;
}

export interface SheetRow {
  line: number;
  cells: SheetCell[];
  hidden: boolean;
}

export interface Sheet {
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

export type ReadResult = { ok: true; sheet: Sheet } | { ok: false; format: 'csv' | 'xlsx' | null; error: RowError };

/** Does this row name the table's columns? */
export type HeaderTest = (row: SheetRow) => boolean;

export function emptySheet(format: 'csv' | 'xlsx', name: string | null): Sheet {
  return { format, name, header: null, headerFound: false, preamble: [], rows: [], tooMany: false, hiddenColumns: new Set() };
}

/**
 * Sorts the non-empty rows of a sheet as they are read: a committee's own sheet often starts with
 * a title ("东村2026年11月信义积分登记表", merged across the columns or not) and a line of notes,
 * so the header is the first row that names the columns. When none of the first HEADER_SCAN_ROWS
 * rows does, the first row is taken as the header, and its errors then say what is wrong.
 */
export class SheetCollector {
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

export const EMPTY_CELL: SheetCell = { value: null };

export function fileError(code: TabularErrorCode, message: string): RowError {
  return { row: 0, column: null, code, message };
}

export function isEmptyCell(c: SheetCell): boolean {
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

/** A cell's text as typed (trimmed); Excel's error literals (#N/A, #REF!…) are flagged. */
export function textCell(raw: string): SheetCell {
  const value = raw.trim();
  if (EXCEL_ERROR_LITERALS.has(value.toUpperCase())) {
    return { value, issue: { code: 'UPLOAD.CELL_ERROR', message: `是错误值 ${value}（通常是公式出错）/ contains the error value ${value}` } };
  }
  return { value };
}

type Detected = { kind: 'xlsx' } | { kind: 'csv' } | { kind: 'refused'; error: RowError };

const UNSUPPORTED_HINT = '请在 Excel 中“另存为”Excel 工作簿（.xlsx）或 CSV 后重新上传 / save it as an Excel workbook (.xlsx) or CSV and upload again';

function startsWith(buffer: Buffer, bytes: number[]): boolean {
  return bytes.every((b, i) => buffer[i] === b);
}

export function detectFormat(file: UploadedFile): Detected {
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

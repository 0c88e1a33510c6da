/** Uploaded spreadsheets: reading the file into a neutral sheet. The module as a whole is described in ./tabular.ts. */
import yauzl from 'yauzl';
import colCache from 'exceljs/lib/utils/col-cache';
import { parse as parseCsv } from 'csv-parse/sync';
import { CellValue, HEADER_SCAN_ROWS, RowError, TabularErrorCode, UploadedFile } from './types';
import { EXCEL_ERROR_LITERALS } from './cells';
import { type RawValue, type SheetInfo, XlsxStream } from './xlsx-stream';

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

type ReadResult = { ok: true; sheet: Sheet } | { ok: false; format: 'csv' | 'xlsx' | null; error: RowError };

/** Does this row name the table's columns? */
export type HeaderTest = (row: SheetRow) => boolean;

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
function excelCell(v: RawValue | undefined): SheetCell {
  if (v === null || v === undefined) return EMPTY_CELL;
  if (typeof v === 'string') return textCell(v);
  if (typeof v === 'number' || typeof v === 'boolean') return { value: v };
  if (v instanceof Date) return { value: v };
  if ('formula' in v) {
    // Even a formula that shows blank is refused: an empty cached result and a missing one
    // (files written by tools that never calculate) look alike, so blank is not provable.
    return { value: null, issue: { code: 'UPLOAD.FORMULA_NOT_ALLOWED', message: FORMULA_MESSAGE } };
  }
  if ('error' in v) {
    const e = String(v.error);
    return { value: null, issue: { code: 'UPLOAD.CELL_ERROR', message: `是错误值 ${e}（通常是公式出错）/ contains the error value ${e}` } };
  }
  const rich = richTextOf(v);
  // A shared-string index past the table: the workbook is inconsistent; what Excel would show is unknown.
  return rich !== null ? textCell(rich) : EMPTY_CELL;
}

/**
 * Merged ranges are listed after the rows in a sheet's XML, so they are applied to the rows kept
 * once the sheet has been read: the top-left cell of a range carries the issue (when it is not
 * empty), and the other cells of the range read as empty (Excel keeps no value there).
 */
function applyMerges(sheet: Sheet, merges: string[]): void {
  if (merges.length === 0) return;
  const byLine = new Map<number, SheetRow>();
  for (const r of [...sheet.preamble, ...(sheet.header ? [sheet.header] : []), ...sheet.rows]) byLine.set(r.line, r);
  for (const range of merges) {
    const [a, b] = range.split(':');
    if (!a) continue;
    const from = colCache.decodeAddress(a);
    const to = colCache.decodeAddress(b ?? a);
    for (let line = from.row; line <= to.row; line++) {
      const row = byLine.get(line);
      if (!row) continue;
      for (let col = from.col; col <= to.col && col <= row.cells.length; col++) {
        const c = row.cells[col - 1] ?? EMPTY_CELL;
        if (line === from.row && col === from.col) {
          if (isEmptyCell(c)) continue;
          row.cells[col - 1] = {
            value: c.value,
            issue: {
              code: 'UPLOAD.MERGED_CELLS',
              message: `是合并单元格（${range}）；请取消合并，并在每一行填上内容 / is a merged cell; unmerge it and fill in every row`,
            },
          };
        } else {
          row.cells[col - 1] = EMPTY_CELL;
        }
      }
    }
  }
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

export async function readXlsx(buffer: Buffer, maxRows: number, maxUnpacked: number, isHeader: HeaderTest): Promise<ReadResult> {
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
  let workbook: XlsxStream;
  try {
    workbook = await XlsxStream.open(buffer);
  } catch {
    return { ok: false, format: 'xlsx', error: unreadable };
  }
  try {
    // The committee checked the sheets they could see; a hidden sheet is someone's scratch. The
    // data sheet is the first visible one whose header names our columns (a template may put its
    // instructions first); without one, the first visible sheet, so its header errors are reported.
    const all = workbook.sheets();
    const visible = all.filter((w) => w.visible);
    const candidates = visible.length > 0 ? visible : all.slice(0, 1);
    let first: Sheet | null = null;
    for (const info of candidates) {
      // Only the first candidate is kept without a header; the others are read until it is clear.
      const sheet = await readWorksheet(workbook, info, maxRows, isHeader, first === null);
      if (sheet.headerFound) return { ok: true, sheet };
      first ??= sheet;
    }
    if (!first) return { ok: false, format: 'xlsx', error: unreadable };
    return { ok: true, sheet: first };
  } catch {
    return { ok: false, format: 'xlsx', error: unreadable };
  } finally {
    workbook.close();
  }
}

async function readWorksheet(workbook: XlsxStream, info: SheetInfo, maxRows: number, isHeader: HeaderTest, keepWithoutHeader: boolean): Promise<Sheet> {
  const collector = new SheetCollector(emptySheet('xlsx', info.name), isHeader, maxRows);
  const { hiddenColumns, merges } = await workbook.readSheet(info, (raw) => {
    const cells = raw.values.map(excelCell);
    for (let i = 0; i < cells.length; i++) cells[i] ??= EMPTY_CELL;
    if (cells.every(isEmptyCell)) return true;
    if (!collector.add({ line: raw.line, cells, hidden: raw.hidden })) return false;
    // A later sheet whose first rows name none of our columns is not the data sheet.
    return keepWithoutHeader || collector.sheet.headerFound || collector.sheet.header === null;
  });
  const sheet = collector.finish();
  applyMerges(sheet, merges);
  // Rows left with nothing but the hidden parts of merged ranges were never rows of content.
  sheet.rows = sheet.rows.filter((r) => !r.cells.every(isEmptyCell));
  sheet.preamble = sheet.preamble.filter((r) => !r.cells.every(isEmptyCell));
  let width = sheet.header?.cells.length ?? 0;
  for (const r of sheet.rows) width = Math.max(width, r.cells.length);
  for (const c of hiddenColumns) if (c < width) sheet.hiddenColumns.add(c);
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

/** The first line with content, without splitting the whole text into lines (a copy of it). */
function firstNonBlankLine(text: string): string {
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end === -1 ? text.length : end);
    if (line.trim() !== '') return line;
    if (end === -1) break;
    at = end + 1;
  }
  return '';
}

class StopReading extends Error {}

export function readCsv(buffer: Buffer, maxRows: number, isHeader: HeaderTest): ReadResult {
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
    delimiter = detectDelimiter(firstNonBlankLine(text));
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

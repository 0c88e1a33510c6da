/** Uploaded spreadsheets: public types. The module as a whole is described in ./tabular.ts. */

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
  /** The rows read, with their line numbers; null when the file could not be read (or with `keepSource: false`). */
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
  /**
   * false: `source` is null, for a caller that writes no error report (it would hold every cell
   * of every row as read, beside the parsed rows, for as long as the table is kept); default true.
   */
  keepSource?: boolean;
}

/** The column our annotated error report adds; a corrected report uploads again as it is. */
export const ERROR_REPORT_COLUMN = '错误说明';

/** Non-empty rows looked at for the header before the first one is taken as the header. */
export const HEADER_SCAN_ROWS = 30;

export const DEFAULT_MAX_ROWS = 20_000;
export const DEFAULT_MAX_ERRORS = 1_000;

/**
 * Unpacked bytes a workbook may hold. The sheet is read row by row (./xlsx-stream.ts), so memory
 * no longer grows with the file (a 20,000-row, 8-column upload, 9 MB unpacked, reads in 1.7 s at
 * 113 MB RSS in a bare process, within a 32 MB old space); the cap bounds the time a file holds
 * the api (a 9.9 MB file of 170,000 rows unpacks to ~75 MB). Checked before the reader sees the
 * file: from the zip's directory first, then by inflating each entry once, streaming, so a
 * directory that lies about the sizes is caught too (see checkZip).
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

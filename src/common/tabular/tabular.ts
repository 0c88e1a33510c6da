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
export type { CellValue, CellParseResult, CellParser, ColumnSpec, RowError, CheckedRow, SourceSheet, ParsedTable, UploadedFile, ParseTableOptions, TabularErrorCode } from './types';
export { ERROR_REPORT_COLUMN, HEADER_SCAN_ROWS, DEFAULT_MAX_ROWS, DEFAULT_MAX_ERRORS, XLSX_MAX_UNPACKED_BYTES, TABULAR_ERROR_CODES } from './types';
export type { StringCellOptions } from './cells';
export { cell } from './cells';
export { columnLetter } from './read';
export { parseTable } from './parse';
export type { TemplateOptions } from './templates';
export { buildTemplate, buildErrorReport } from './templates';

/** Uploaded spreadsheets: reusable cell parsers. The module as a whole is described in ./tabular.ts. */
import { CellParseResult, CellParser, CellValue, TabularErrorCode } from './types';

export const ok = <T>(value: T): CellParseResult<T> => ({ ok: true, value });
const fail = (code: TabularErrorCode, message: string): CellParseResult<never> => ({ ok: false, code, message });

/** Excel keeps 15 significant digits; anything longer in a number cell was already rounded. */
const EXCEL_DIGITS = 15;

/** What Excel writes into a CSV (and shows) for an ID number in a General-format column. */
const SCIENTIFIC_TEXT = /^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$/;

// Control characters other than tab/newline never belong in a cell and break exports.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/u;
const LINE_BREAK_OR_TAB = /[\t\n\r]/u;

export const EXCEL_ERROR_LITERALS = new Set(['#N/A', '#REF!', '#NAME?', '#DIV/0!', '#NULL!', '#VALUE!', '#NUM!', '#SPILL!', '#CALC!', '#GETTING_DATA']);

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
export function cellToString(raw: CellValue): CellParseResult<string> {
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

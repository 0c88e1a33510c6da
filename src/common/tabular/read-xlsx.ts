/** Uploaded spreadsheets: reading an .xlsx workbook into the neutral sheet of ./read.ts (the module as a whole: ./tabular.ts). */
import yauzl from 'yauzl';
import colCache from 'exceljs/lib/utils/col-cache';
import { EMPTY_CELL, HeaderTest, ReadResult, Sheet, SheetCell, SheetCollector, SheetRow, emptySheet, fileError, isEmptyCell, textCell } from './read';
import { type RawValue, type SheetInfo, XlsxStream } from './xlsx-stream';

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

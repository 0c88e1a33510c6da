/**
 * Uploaded spreadsheets: an .xlsx read one row at a time. The module as a whole is described in
 * ./tabular.ts.
 *
 * exceljs's `Workbook.xlsx.load` builds the whole workbook as objects (a 20,000-row upload took
 * ≈ 150 MB of heap), so the api could not run under a heap cap. This reads the zip's entries
 * with yauzl, from the upload's buffer, in the order the reading needs them (relationships,
 * workbook, styles, shared strings, then each sheet in tab order), and the sheet's XML as a SAX
 * stream: a row becomes plain values and is handed over, nothing else of the sheet is kept
 * except hidden columns, hidden rows and merged ranges. The workbook parts are parsed by
 * exceljs's own stream reader (`stream.xlsx.WorkbookReader`) and cell values follow its rules
 * (shared and rich text, dates by number format, 1904 dates, formulas, errors, booleans).
 *
 * Not exceljs's sheet iterator itself: it reads sheets in the zip's order (Excel writes the sheets
 * before the shared strings, so it spools each sheet to a temporary file first) and drops the
 * `hidden` of rows and columns and the merged ranges, which the upload must refuse.
 */
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import parseSax from 'exceljs/lib/utils/parse-sax';
import excelUtils from 'exceljs/lib/utils/utils';
import colCache from 'exceljs/lib/utils/col-cache';

/** A cell's value as exceljs's reader gives it (a shared rich text stays `{ richText }`). */
export type RawValue = null | string | number | boolean | Date | { formula: string } | { error: string } | { richText: unknown[] } | { sharedString: number };

export interface RawRow {
  line: number;
  hidden: boolean;
  /** Index = column number − 1; a column without a <c> element is undefined. */
  values: Array<RawValue | undefined>;
}

export interface SheetInfo {
  name: string;
  visible: boolean;
  path: string;
}

/** What exceljs's WorkbookReader keeps after its part parsers ran (not in its typings). */
interface WorkbookParts {
  options: Record<string, string>;
  workbookRels?: Array<{ Id: string; Target: string }>;
  model?: { sheets?: Array<{ name: string; rId: string; state?: string }> };
  properties?: { model?: { date1904?: boolean } };
  sharedStrings?: Array<string | { richText: unknown[] }>;
  styles: { getStyleModel(id: number): { numFmt?: string } | null };
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
}

export class XlsxUnreadable extends Error {}

/** The zip's directory, entries opened by name (the upload is in memory: random access). */
class Zip {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
  ) {}

  static open(buffer: Buffer): Promise<Zip> {
    return new Promise((resolve, reject) => {
      yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, autoClose: false }, (err, zip) => {
        if (err || !zip) return reject(new XlsxUnreadable('zip'));
        const entries = new Map<string, yauzl.Entry>();
        zip.on('entry', (e: yauzl.Entry) => {
          entries.set(e.fileName.replace(/^\/+/u, ''), e);
          zip.readEntry();
        });
        zip.on('end', () => resolve(new Zip(zip, entries)));
        zip.on('error', () => reject(new XlsxUnreadable('zip')));
        zip.readEntry();
      });
    });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  stream(name: string): Promise<Readable> {
    const entry = this.entries.get(name);
    if (!entry) return Promise.reject(new XlsxUnreadable(`missing ${name}`));
    return new Promise((resolve, reject) => {
      // As text: a UTF-8 character split across two inflated chunks must not become two bad ones
      // (exceljs's SAX helper decodes each Buffer chunk on its own).
      this.zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(new XlsxUnreadable(name)) : resolve(stream.setEncoding('utf8'))));
    });
  }

  close(): void {
    this.zip.close();
  }
}

/** 'worksheets/sheet1.xml' or '/xl/worksheets/sheet1.xml' → 'xl/worksheets/sheet1.xml'. */
function partPath(target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  return `xl/${target.replace(/^\.\//u, '')}`;
}

const truthy = (v: string | undefined) => v === '1' || v === 'true';

export class XlsxStream {
  private constructor(
    private readonly zip: Zip,
    private readonly parts: WorkbookParts,
  ) {}

  /** Opens the workbook and reads its shared parts; throws XlsxUnreadable when it is no workbook. */
  static async open(buffer: Buffer): Promise<XlsxStream> {
    const zip = await Zip.open(buffer);
    try {
      if (!zip.has('xl/workbook.xml')) throw new XlsxUnreadable('no xl/workbook.xml');
      const parts = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([]), { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' }) as unknown as WorkbookParts;
      if (zip.has('xl/_rels/workbook.xml.rels')) await parts._parseRels(await zip.stream('xl/_rels/workbook.xml.rels'));
      await parts._parseWorkbook(await zip.stream('xl/workbook.xml'));
      if (zip.has('xl/styles.xml')) await parts._parseStyles(await zip.stream('xl/styles.xml'));
      if (zip.has('xl/sharedStrings.xml')) {
        for await (const _ of parts._parseSharedStrings(await zip.stream('xl/sharedStrings.xml'))) void _;
      }
      return new XlsxStream(zip, parts);
    } catch (e) {
      zip.close();
      throw e instanceof XlsxUnreadable ? e : new XlsxUnreadable(String(e));
    }
  }

  /** The worksheets in tab order (chart sheets and others are not worksheets and are left out). */
  sheets(): SheetInfo[] {
    const rels = new Map((this.parts.workbookRels ?? []).map((r) => [r.Id, partPath(r.Target)]));
    const out: SheetInfo[] = [];
    for (const s of this.parts.model?.sheets ?? []) {
      const path = rels.get(s.rId);
      if (!path || !this.zip.has(path)) continue;
      out.push({ name: s.name, visible: s.state === undefined || s.state === 'visible', path });
    }
    return out;
  }

  close(): void {
    this.zip.close();
  }

  /**
   * Streams one sheet: `onRow` gets every <row> as it ends and returns false to stop collecting
   * (the rest of the sheet is still scanned, cheaply, for merged ranges, which come last).
   * Resolves with the sheet's hidden columns (0-based) and merged ranges ('A1:C1').
   */
  async readSheet(sheet: SheetInfo, onRow: (row: RawRow) => boolean): Promise<{ hiddenColumns: Set<number>; merges: string[] }> {
    const { sharedStrings, styles } = this.parts;
    const date1904 = this.parts.properties?.model?.date1904 === true;
    const hiddenColumns = new Set<number>();
    const merges: string[] = [];
    let collecting = true;
    let inCols = false;
    let inRows = false;
    let row: RawRow | null = null;
    let lastLine = 0;
    let lastCol = 0;
    let cell: { col: number; s: number; t: string | undefined; formula: boolean; v: string | null; inline: boolean } | null = null;
    let text: string | null = null;
    let inInlineText = false;
    let phonetic = false;

    const valueOf = (c: NonNullable<typeof cell>): RawValue => {
      if (c.formula) return { formula: '' };
      if (c.v === null) return null;
      switch (c.t) {
        case 's': {
          const s = sharedStrings?.[Number.parseInt(c.v, 10)];
          return s === undefined ? { sharedString: Number.parseInt(c.v, 10) } : s;
        }
        case 'inlineStr':
        case 'str':
          // The SAX parser has already decoded the entities (exceljs decodes a second time).
          return c.v;
        case 'e':
          return { error: c.v };
        case 'b':
          return Number.parseInt(c.v, 10) !== 0;
        default: {
          const n = Number.parseFloat(c.v);
          return c.s && excelUtils.isDateFmt(styles.getStyleModel(c.s)?.numFmt) ? excelUtils.excelToDate(n, date1904) : n;
        }
      }
    };

    const stream = await this.zip.stream(sheet.path);
    for await (const events of parseSax(stream)) {
      for (const ev of events) {
        if (ev.eventType === 'opentag') {
          const { name, attributes: a } = ev.value;
          switch (name) {
            case 'cols':
              inCols = true;
              break;
            case 'col':
              if (inCols && truthy(a.hidden)) {
                const max = Math.min(Number.parseInt(a.max, 10), 16_384);
                for (let i = Number.parseInt(a.min, 10); i <= max; i++) hiddenColumns.add(i - 1);
              }
              break;
            case 'sheetData':
              inRows = true;
              break;
            case 'row':
              if (inRows) {
                lastLine = a.r ? Number.parseInt(a.r, 10) : lastLine + 1;
                lastCol = 0;
                row = collecting ? { line: lastLine, hidden: truthy(a.hidden), values: [] } : null;
              }
              break;
            case 'c':
              if (row) {
                lastCol = a.r ? colCache.decodeAddress(a.r).col : lastCol + 1;
                cell = { col: lastCol, s: a.s ? Number.parseInt(a.s, 10) : 0, t: a.t, formula: false, v: null, inline: false };
              }
              break;
            case 'f':
              if (cell) cell.formula = true;
              break;
            case 'v':
              if (cell) text = '';
              break;
            case 'is':
              if (cell) {
                cell.inline = true;
                cell.v = '';
              }
              break;
            case 'rPh':
              phonetic = true;
              break;
            case 't':
              if (cell?.inline) inInlineText = true;
              else if (cell) text = '';
              break;
            case 'mergeCell':
              if (a.ref) merges.push(a.ref);
              break;
            default:
              break;
          }
        } else if (ev.eventType === 'text') {
          if (cell && inInlineText && !phonetic) cell.v += ev.value;
          else if (text !== null) text += ev.value;
        } else {
          switch (ev.value.name) {
            case 'cols':
              inCols = false;
              break;
            case 'sheetData':
              inRows = false;
              break;
            case 'rPh':
              phonetic = false;
              break;
            case 'v':
            case 't':
              if (cell && text !== null) cell.v = text;
              text = null;
              inInlineText = false;
              break;
            case 'c':
              if (row && cell) row.values[cell.col - 1] = valueOf(cell);
              cell = null;
              break;
            case 'row':
              if (row && !onRow(row)) collecting = false;
              row = null;
              break;
            default:
              break;
          }
        }
      }
    }
    return { hiddenColumns, merges };
  }
}

/** Uploaded spreadsheets: reading a CSV file into the neutral sheet of ./read.ts (the module as a whole: ./tabular.ts). */
import { parse as parseCsv } from 'csv-parse/sync';
import { HeaderTest, ReadResult, SheetCollector, emptySheet, fileError, isEmptyCell, textCell } from './read';

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

/**
 * The parts of exceljs 4.4 that the streaming .xlsx reader (./xlsx-stream.ts) uses beyond its
 * typed surface: the SAX helper and the cell-value utilities its own stream reader is built on.
 */
declare module 'exceljs/lib/utils/parse-sax' {
  interface SaxNode {
    name: string;
    attributes: Record<string, string>;
  }
  type SaxEvent = { eventType: 'opentag'; value: SaxNode } | { eventType: 'text'; value: string } | { eventType: 'closetag'; value: SaxNode };
  function parseSax(iterable: AsyncIterable<Buffer | string>): AsyncGenerator<SaxEvent[]>;
  export = parseSax;
}

declare module 'exceljs/lib/utils/utils' {
  const utils: {
    isDateFmt(fmt: string | undefined): boolean;
    excelToDate(v: number, date1904?: boolean): Date;
  };
  export = utils;
}

declare module 'exceljs/lib/utils/col-cache' {
  const colCache: { decodeAddress(ref: string): { row: number; col: number } };
  export = colCache;
}

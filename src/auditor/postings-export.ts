import { once } from 'node:events';
import { PassThrough, Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { shanghaiDateTime } from '@app/common/time';
import { KIND_LABELS } from '@app/ledger/statement.service';
import type { PostingRow } from './auditor.repository';

/** Rows per read while exporting: one keyset page, so memory stays flat however many rows. */
export const EXPORT_BATCH = 5000;

const shanghai = (d: Date) => shanghaiDateTime(d, true);

/** Export columns: Chinese header, width, and how to read a posting. */
export const POSTING_COLUMNS: Array<{ header: string; width: number; value: (p: PostingRow) => string | number }> = [
  { header: '记账编号', width: 12, value: (p) => p.id },
  { header: '记账时间（北京时间）', width: 20, value: (p) => shanghai(p.postedAt) },
  { header: '所属期间', width: 10, value: (p) => p.period },
  { header: '村（社区）', width: 14, value: (p) => p.villageName },
  { header: '村民', width: 10, value: (p) => p.residentName },
  { header: '村民ID', width: 38, value: (p) => p.residentId },
  { header: '账户序号', width: 8, value: (p) => p.seq },
  { header: '类型', width: 10, value: (p) => KIND_LABELS[p.kind] ?? p.kind },
  { header: '事项编码', width: 10, value: (p) => p.itemCode ?? '' },
  { header: '摘要', width: 30, value: (p) => p.memo ?? '' },
  { header: '积分', width: 8, value: (p) => p.points },
  { header: '来源', width: 44, value: (p) => p.sourceRef },
  { header: '对方', width: 44, value: (p) => p.counterparty },
  { header: '哈希', width: 66, value: (p) => p.hash },
];

export const POSTING_HEADERS = POSTING_COLUMNS.map((c) => c.header);

export type BatchSource = () => AsyncGenerator<PostingRow[]>;

/** CSV, UTF-8 with BOM (Excel opens the Chinese headers), written batch by batch with backpressure. */
export function postingsCsvStream(batches: BatchSource): Readable {
  async function* records() {
    for await (const batch of batches()) {
      for (const p of batch) yield POSTING_COLUMNS.map((c) => c.value(p));
    }
  }
  const csv = stringify({ bom: true, header: true, columns: POSTING_HEADERS, escape_formulas: true });
  // pipeline: a failed read destroys the output, so the client sees a broken download, not a short file.
  return pipeline(Readable.from(records()), csv, () => undefined);
}

/**
 * XLSX through ExcelJS's streaming writer: each row is committed (serialised) as it is added and
 * the zip is written to the response as it grows. Between batches we wait for the response to
 * drain, so a slow client holds back the reads instead of filling memory.
 */
export function postingsXlsxStream(batches: BatchSource): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet('记账明细');
  sheet.columns = POSTING_COLUMNS.map((c) => ({ header: c.header, width: c.width }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  (async () => {
    for await (const batch of batches()) {
      for (const p of batch) sheet.addRow(POSTING_COLUMNS.map((c) => c.value(p))).commit();
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    sheet.commit();
    await workbook.commit();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}

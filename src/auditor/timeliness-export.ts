import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { shanghaiDateTime } from '@app/common/time';
import type { CycleState } from '@app/review/review.entities';
import type { TimelinessDto, VillageTimelinessDto } from './auditor.dto';

export const CYCLE_STATE_LABELS: Record<CycleState, string> = {
  open: '开放录入',
  closed: '已关账，待评议',
  reviewed: '已评议，待公示',
  publicized: '公示中',
  finalized: '已入账',
};

interface Row {
  period: string;
  closeBy: Date;
  publishBy: Date;
  v: VillageTimelinessDto;
}

const at = (d: Date | null) => (d ? shanghaiDateTime(d) : '');
const yes = (b: boolean) => (b ? '是' : '');

/** Export columns: one row per village and month, the same deadlines and flags as the page. */
export const TIMELINESS_COLUMNS: Array<{ header: string; width: number; value: (r: Row) => string | number }> = [
  { header: '期间', width: 9, value: (r) => r.period },
  { header: '村编码', width: 8, value: (r) => r.v.villageCode },
  { header: '村（社区）', width: 14, value: (r) => r.v.villageName },
  { header: '状态', width: 8, value: (r) => (r.v.state ? CYCLE_STATE_LABELS[r.v.state] : '未开始') },
  { header: '关账截止（北京时间）', width: 18, value: (r) => shanghaiDateTime(r.closeBy) },
  { header: '关账时间', width: 18, value: (r) => at(r.v.closedAt) },
  { header: '逾期关账', width: 8, value: (r) => yes(r.v.closeLate) },
  { header: '评议完成', width: 18, value: (r) => at(r.v.reviewedAt) },
  { header: '公示截止（北京时间）', width: 18, value: (r) => shanghaiDateTime(r.publishBy) },
  { header: '公示时间', width: 18, value: (r) => at(r.v.publishedAt) },
  { header: '逾期公示', width: 8, value: (r) => yes(r.v.publishLate) },
  { header: '异议期结束', width: 18, value: (r) => at(r.v.windowEndsAt) },
  { header: '入账时间', width: 18, value: (r) => at(r.v.finalizedAt) },
  { header: '逾期未入账', width: 10, value: (r) => yes(r.v.finalizeOverdue) },
  { header: '重开次数', width: 8, value: (r) => r.v.reopenCount },
  { header: '异议数', width: 8, value: (r) => r.v.objections },
  { header: '逾期答复', width: 8, value: (r) => r.v.answeredLate },
  { header: '逾期未答复', width: 10, value: (r) => r.v.openOverdue },
  { header: '待上报信用平台', width: 12, value: (r) => r.v.exportPending },
  { header: '上报失败', width: 8, value: (r) => r.v.exportFailed },
  { header: '最近上报错误', width: 30, value: (r) => r.v.exportLastError ?? '' },
];

export const TIMELINESS_HEADERS = TIMELINESS_COLUMNS.map((c) => c.header);

function rowsOf(months: TimelinessDto[]): Row[] {
  return months.flatMap((m) => m.villages.map((v) => ({ period: m.period, closeBy: m.closeBy, publishBy: m.publishBy, v })));
}

/** CSV, UTF-8 with BOM (Excel opens the Chinese headers). A few hundred rows: built in memory. */
export function timelinessCsv(months: TimelinessDto[]): Buffer {
  const records = rowsOf(months).map((r) => TIMELINESS_COLUMNS.map((c) => c.value(r)));
  return Buffer.from(stringify(records, { bom: true, header: true, columns: TIMELINESS_HEADERS, escape_formulas: true }), 'utf8');
}

export async function timelinessXlsx(months: TimelinessDto[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('评议时效');
  sheet.columns = TIMELINESS_COLUMNS.map((c) => ({ header: c.header, width: c.width }));
  sheet.getRow(1).font = { bold: true };
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  for (const r of rowsOf(months)) sheet.addRow(TIMELINESS_COLUMNS.map((c) => c.value(r)));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

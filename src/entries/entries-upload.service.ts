import { hashRequest, isUniqueViolation } from '@app/common/idempotency';
import { shanghaiDate } from '@app/common/time';
import { entriesCreatedTotal } from '@app/metrics/metrics';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService, type VillageRef } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { CARD_CODE_PATTERN } from '@app/common/http/field-decorators';
import { UPLOAD_GATE } from '@app/common/tabular/upload-gate';
import { buildErrorReport, buildTemplate, cell, parseTable, type CheckedRow, type ColumnSpec, type ParsedTable, type RowError, type UploadedFile } from '@app/common/tabular/tabular';
import type { UploadResultDto } from './entries.dto';
import { EntriesRepository } from './entries.repository';
import { EntryPreparationService, type EntryInput, type EntryProblemField, type PreparedEntry } from './entry-preparation.service';
import { ItemIndex, itemChoice, resolveItem } from './item-lookup';
import { explainRule } from '@app/scoring/rules/rule-engine';
import type { Rule } from '@app/scoring/rules/rule.types';

/** Most rows one upload may carry: a month of a large village, with room to spare. */
export const ENTRY_UPLOAD_MAX_ROWS = 20_000;

/** Columns a committee's own sheet often has that carry nothing we store. */
const IGNORED_COLUMNS = ['序号', '编号', 'No.'];

interface EntryRow {
  cardCode: string | null;
  name: string | null;
  itemCode: string | null;
  itemName: string | null;
  occurredOn: string | null;
  quantity: number | null;
  points: number | null;
  reason: string | null;
  evidenceNote: string | null;
}

const COLUMNS: ColumnSpec<unknown>[] = [
  { key: 'cardCode', header: '卡号', aliases: ['积分卡号', 'cardCode'], required: true, parse: cell.string({ max: 20, pattern: CARD_CODE_PATTERN, transform: (s) => s.toUpperCase(), message: '卡号应为 6–20 位大写字母或数字 / card code: 6–20 upper-case letters or digits' }) },
  { key: 'name', header: '姓名', aliases: ['name'], required: true, parse: cell.string({ max: 40 }) },
  // A code, the item's exact name, or the template's dropdown value "T01 参加志愿服务".
  { key: 'itemCode', header: '事项编码', aliases: ['事项代码', 'itemCode', '事项', '事项编码或名称'], required: false, parse: cell.string({ max: 100 }) },
  { key: 'itemName', header: '事项名称', aliases: ['itemName'], required: false, parse: cell.string({ max: 100 }) },
  { key: 'occurredOn', header: '发生日期', aliases: ['日期', 'occurredOn'], required: true, parse: cell.date() },
  { key: 'quantity', header: '数量', aliases: ['quantity'], required: false, parse: cell.decimal({ min: 0, max: 1_000_000, maxDecimals: 6 }) },
  { key: 'points', header: '分值', aliases: ['points'], required: false, parse: cell.integer({ min: 0, max: 1000 }) },
  { key: 'reason', header: '理由', aliases: ['reason'], required: false, parse: cell.string({ max: 500, multiline: true }) },
  { key: 'evidenceNote', header: '证据说明', aliases: ['备注', 'evidenceNote'], required: false, parse: cell.string({ max: 1000, multiline: true }) },
];

/** The template leaves out the separate name column: its item column has a dropdown of both. */
const TEMPLATE_COLUMNS = COLUMNS.filter((c) => c.key !== 'itemName');

/**
 * The template's example rows: residents of the demo town's 东村 (`demoResidents('DC', 0)`, the
 * seed is deterministic), so the downloaded template uploads cleanly there as it is.
 */
export const TEMPLATE_EXAMPLES: ReadonlyArray<Omit<Record<keyof EntryRow, string>, 'itemName' | 'occurredOn'>> = [
  { cardCode: 'DCZDNMCH', name: '陈金山', itemCode: 'T01 参加志愿服务', quantity: '4', points: '', reason: '', evidenceNote: '志愿服务签到表第 3 页' },
  { cardCode: 'DCF7P28B', name: '马海龙', itemCode: 'B01 不按规定停放车辆或阻碍他人正常通行（屡教不改）', quantity: '', points: '', reason: '', evidenceNote: '敬告单 第 0012 号' },
  { cardCode: 'DCGHNUEA', name: '黄海龙', itemCode: 'T57 见义勇为', quantity: '', points: '5', reason: '跳入河中救起落水儿童', evidenceNote: '村委会证明' },
];

/** Entry fields (as EntryPreparationService names them) → column key of this sheet. */
const COLUMN_OF: Record<EntryProblemField, keyof EntryRow> = {
  resident: 'cardCode',
  occurredOn: 'occurredOn',
  itemCode: 'itemCode',
  quantity: 'quantity',
  points: 'points',
  reason: 'reason',
};

const FIELD_OF: Partial<Record<keyof EntryRow, EntryProblemField>> = {
  cardCode: 'resident',
  occurredOn: 'occurredOn',
  itemCode: 'itemCode',
  itemName: 'itemCode',
  quantity: 'quantity',
  points: 'points',
  reason: 'reason',
};

/** What a rule needs filled in, for the catalogue sheet. */
export function columnsNeeded(rule: Rule): string {
  switch (rule.type) {
    case 'range':
      return '分值、理由';
    case 'per_unit':
    case 'cumulative_bands':
      return `数量（${rule.unitLabel}）`;
    default:
      return '—';
  }
}

interface Checked {
  table: ParsedTable<EntryRow>;
  /** Errors, by row (the likely duplicates' notices are added by `withNotices`). */
  problems: RowError[];
  rows: PreparedEntry[];
  /** false when the file or its header stopped the row checks. */
  ready: boolean;
  /**
   * Likely duplicates within the file, as pairs [row, earlier row] one after the other: their
   * notices are written out only for an answer that lists them (an error list, the report), not
   * for a file that is stored (one notice per repeated row is ≈ 0.5 KB of heap).
   */
  duplicates: number[];
  /** Header of the card column as in the file, for those notices. */
  cardLabel: string;
}

/** The problems with the likely duplicates' notices among them, by row (each after the errors of its row). */
function withNotices(c: Checked): RowError[] {
  const notices: RowError[] = [];
  for (let i = 0; i < c.duplicates.length; i += 2) {
    const row = c.duplicates[i] as number;
    const seen = c.duplicates[i + 1] as number;
    notices.push({
      row,
      column: c.cardLabel,
      code: 'UPLOAD.LIKELY_DUPLICATE',
      message: `第 ${row} 行“${c.cardLabel}”：与第 ${seen} 行是同一人、同一事项、同一天，导入后标为疑似重复，由议事会判断 / same resident, item and day as row ${seen}: flagged for the meeting`,
      severity: 'warning',
    });
  }
  return notices.length ? [...c.problems, ...notices].sort((a, b) => a.row - b.row) : c.problems;
}

const isError = (e: RowError) => e.severity !== 'warning';

/** Thrown inside the checking transaction so that a dry run (the error report) writes nothing. */
class DryRun extends Error {
  constructor(readonly result: Checked) {
    super('dry run');
  }
}

/**
 * A month's entries from CSV or .xlsx: all or nothing. Any bad row means nothing is stored and
 * the answer lists every problem of every row, in one pass: the cells, the card and name, the
 * item (by code or name), what the item's rule needs, the date, and likely duplicates (as
 * notices). The same file twice for a village is refused. The same checks, run without storing,
 * give the annotated workbook of `errorReport`.
 */
@Injectable()
export class EntriesUploadService {
  constructor(
    private readonly repo: EntriesRepository,
    private readonly preparation: EntryPreparationService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
  ) {}

  /** The template: the catalogue in force for the clerk's village (or the town), today. */
  async template(ctx: RequestContext, format: 'csv' | 'xlsx', villageId?: string): Promise<Buffer> {
    const village = villageId ? await this.scope.village(ctx.principal, villageId) : null;
    const onDate = shanghaiDate(new Date());
    const staffVillage = ctx.principal.kind === 'staff' ? ctx.principal.villageId : null;
    const items = await this.repo.listItemsInForce(ctx.principal.townId, village?.id ?? staffVillage, onDate);
    const examples = TEMPLATE_EXAMPLES.map((e) => ({ ...e, occurredOn: onDate }));
    return buildTemplate(TEMPLATE_COLUMNS, format, {
      sheetName: '积分记录',
      examples,
      instructions: TEMPLATE_INSTRUCTIONS,
      reference: {
        name: '事项目录',
        header: ['事项编码', '事项名称', '类别', '加/扣', '计分规则', '需填写', '下拉选项'],
        widths: [10, 36, 14, 8, 60, 14, 44],
        rows: items.map((i) => [i.code, i.name, i.category, i.sign === 1 ? '守信加分' : '失信扣分', explainRule({ code: i.code, sign: i.sign, rule: i.rule, caps: i.caps ?? undefined }), columnsNeeded(i.rule), itemChoice(i)]),
        listColumn: 7,
        forKey: 'itemCode',
      },
    });
  }

  /** Stores a month's file, or nothing (one upload at a time in this process: UPLOAD_GATE). */
  upload(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<UploadResultDto> {
    return UPLOAD_GATE.run(() => this.uploadNow(ctx, villageId, file));
  }

  private async uploadNow(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<UploadResultDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    if (!file) throw new AppError('ENTRY.UPLOAD_INVALID', '缺少文件（字段名 file）/ no file in field "file"');
    // No report is written here: the cells as read are not kept beside the parsed rows.
    const table = await parseTable<EntryRow>(file, COLUMNS, { maxRows: ENTRY_UPLOAD_MAX_ROWS, ignoreColumns: IGNORED_COLUMNS, keepSource: false });
    // Identical bytes parse identically: a file stored before had clean cells.
    if (table.errors.length === 0 && (await this.repo.batchExists(village.id, table.checksum))) throw new AppError('ENTRY.DUPLICATE_BATCH');
    const batchId = randomUUID();
    try {
      const result = await this.repo.transaction(async (m) => {
        const checked = await this.check(m, ctx, village, table, batchId);
        const { problems, rows, ready } = checked;
        if (problems.some(isError) || !ready || rows.length === 0) throw invalid(table, withNotices(checked));
        const periods = countByPeriod(rows);
        const period = periods[0].period;
        await this.repo.insertBatch(m, { id: batchId, townId: village.townId, villageId: village.id, period, checksum: table.checksum, filename: file.originalname.slice(0, 200), rowCount: rows.length, uploadedBy: ctx.principal.id });
        await this.repo.insertEntries(m, rows);
        const flaggedDuplicates = rows.filter((r) => r.duplicateOf).length;
        await this.audit.record(ctx, { action: 'entry.upload', targetType: 'entry_batch', targetId: batchId, summary: { filename: file.originalname, rows: rows.length, period, periods, flaggedDuplicates } }, m);
        return { batchId, period, periods, created: rows.length, flaggedDuplicates, headerRow: table.headerRow ?? 1 };
      });
      entriesCreatedTotal.inc({ source: 'upload' }, result.created);
      return result;
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('ENTRY.DUPLICATE_BATCH');
      throw err;
    }
  }

  /**
   * The same checks as `upload`, storing nothing: the uploaded rows as an .xlsx with an error
   * column (错误说明) and a sheet listing every problem. Stateless: the console sends the same
   * file again rather than the server keeping reports.
   */
  errorReport(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<{ workbook: Buffer; errors: number; warnings: number }> {
    return UPLOAD_GATE.run(() => this.errorReportNow(ctx, villageId, file));
  }

  private async errorReportNow(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<{ workbook: Buffer; errors: number; warnings: number }> {
    const village = await this.scope.village(ctx.principal, villageId);
    if (!file) throw new AppError('ENTRY.UPLOAD_INVALID', '缺少文件（字段名 file）/ no file in field "file"');
    const table = await parseTable<EntryRow>(file, COLUMNS, { maxRows: ENTRY_UPLOAD_MAX_ROWS, ignoreColumns: IGNORED_COLUMNS });
    let checked: Checked;
    try {
      await this.repo.transaction(async (m) => {
        throw new DryRun(await this.check(m, ctx, village, table, null));
      });
      throw new Error('unreachable: the dry run always rolls back');
    } catch (err) {
      if (!(err instanceof DryRun)) throw err;
      checked = err.result;
    }
    const problems = [...withNotices(checked)];
    if (await this.repo.batchExists(village.id, table.checksum)) {
      const { message } = new AppError('ENTRY.DUPLICATE_BATCH');
      problems.unshift({ row: 0, column: null, code: 'ENTRY.DUPLICATE_BATCH', message });
    }
    return { workbook: await buildErrorReport(table, problems), errors: problems.filter(isError).length, warnings: problems.filter((p) => !isError(p)).length };
  }

  /** Every problem of every row, and the rows ready to store when there is none. */
  private async check(m: EntityManager, ctx: RequestContext, village: VillageRef, table: ParsedTable<EntryRow>, batchId: string | null): Promise<Checked> {
    const problems: RowError[] = [...table.errors];
    const done = (): Checked => ({ table, problems, rows: [], ready: false, duplicates: [], cardLabel: '' });
    if (table.checkedRows.length === 0) return done();
    const labels = table.columnLabels;
    if (!labels.itemCode && !labels.itemName) {
      const row = table.headerRow ?? 0;
      problems.push({ row, column: '事项编码', code: 'UPLOAD.MISSING_COLUMN', message: `第 ${row} 行表头缺少“事项编码”或“事项名称”列 / missing column 事项编码 or 事项名称` });
      return done();
    }
    const label = (key: keyof EntryRow) => labels[key] ?? COLUMNS.find((c) => c.key === key)?.header ?? key;
    const itemLabel = labels.itemCode ? label('itemCode') : label('itemName');
    const add = (row: number, column: string | null, code: string, predicate: string) =>
      problems.push({ row, column, code, message: column ? `第 ${row} 行“${column}”：${predicate}` : `第 ${row} 行：${predicate}` });

    const today = shanghaiDate(new Date());
    const rows = table.checkedRows;
    const cards = [...new Set(rows.flatMap((r) => (r.values.cardCode ? [r.values.cardCode] : [])))];
    const byCard = new Map((await this.repo.findResidentsByCardCode(cards)).map((r) => [r.cardCode, r]));
    const itemsOn = new Map<string, ItemIndex>();
    for (const date of new Set(rows.map((r) => r.values.occurredOn ?? today))) {
      itemsOn.set(date, new ItemIndex(await this.repo.listItemsInForce(village.townId, village.id, date)));
    }

    const inputs: EntryInput[] = rows.map((r) => this.toInput(r, village, byCard, itemsOn, today, itemLabel, label, add));
    const { rows: prepared, problems: found } = await this.preparation.prepare(m, ctx, village, inputs, batchId);
    const cardOf = new Map(rows.map((r) => [r.row, r.values.cardCode]));
    for (const p of found) {
      const column = p.column ? (p.column === 'itemCode' ? itemLabel : label(COLUMN_OF[p.column as EntryProblemField] ?? (p.column as keyof EntryRow))) : null;
      const message = p.code === 'ENTRY.RESIDENT_NOT_FOUND' ? `没有卡号为 ${cardOf.get(p.row) ?? ''} 的村民 / no resident has this card` : p.message;
      add(p.row, column, p.code, message);
    }
    problems.sort((a, b) => a.row - b.row);
    return { table, problems, rows: prepared, ready: true, duplicates: likelyDuplicates(inputs), cardLabel: label('cardCode') };
  }

  /** One row as an entry to check: cells that failed are marked, so only the rest is checked again. */
  private toInput(
    r: CheckedRow<EntryRow>,
    village: VillageRef,
    byCard: Map<string, Awaited<ReturnType<EntriesRepository['findResidentsByCardCode']>>[number]>,
    itemsOn: Map<string, ItemIndex>,
    today: string,
    itemLabel: string,
    label: (key: keyof EntryRow) => string,
    add: (row: number, column: string | null, code: string, predicate: string) => void,
  ): EntryInput {
    const v = r.values;
    const reported = new Set<EntryProblemField>(r.failed.flatMap((k) => FIELD_OF[k as keyof EntryRow] ?? []));
    const resident = v.cardCode ? (byCard.get(v.cardCode) ?? null) : null;
    if (resident && resident.villageId === village.id && v.name !== null && resident.name !== v.name) {
      add(r.row, label('name'), 'UPLOAD.NAME_MISMATCH', `卡号 ${v.cardCode ?? ''} 的村民不叫“${v.name}” / name does not match the card`);
    }
    let itemCode = '';
    if (!reported.has('itemCode')) {
      if (v.itemCode === null && v.itemName === null) {
        add(r.row, itemLabel, 'UPLOAD.REQUIRED', '不能为空，请填写事项编码或事项名称 / item code or name is required');
        reported.add('itemCode');
      } else {
        const found = resolveItem(v.itemCode, v.itemName, itemsOn.get(v.occurredOn ?? today) ?? new ItemIndex([]));
        if (found.ok) itemCode = found.code;
        else {
          add(r.row, v.itemCode !== null ? itemLabel : label('itemName'), found.code, found.message);
          reported.add('itemCode');
        }
      }
    }
    return {
      row: r.row,
      resident,
      itemCode,
      // A stand-in for a date that did not parse: the item lookup still runs.
      occurredOn: v.occurredOn ?? today,
      quantity: v.quantity,
      chosenPoints: v.points,
      reason: v.reason,
      evidenceNote: v.evidenceNote,
      idempotencyKey: null,
      requestHash: hashRequest({ villageId: village.id, ...v }),
      reported: [...reported],
    };
  }
}

/**
 * Same resident, item and day twice in the file: stored and flagged for the meeting, said now.
 * Pairs [row, earlier row], in file order.
 */
function likelyDuplicates(inputs: EntryInput[]): number[] {
  const first = new Map<string, number>();
  const out: number[] = [];
  for (const i of inputs) {
    if (!i.resident || !i.itemCode || i.reported?.includes('occurredOn')) continue;
    const key = `${i.resident.id}|${i.itemCode}|${i.occurredOn}`;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i.row);
    else out.push(i.row, seen);
  }
  return out;
}

/** Rows per period they go to, oldest first: an upload may carry last month's and this month's deeds. */
function countByPeriod(rows: Array<{ period: string; late: boolean }>): Array<{ period: string; created: number; late: number }> {
  const by = new Map<string, { period: string; created: number; late: number }>();
  for (const r of rows) {
    const c = by.get(r.period) ?? { period: r.period, created: 0, late: 0 };
    c.created += 1;
    if (r.late) c.late += 1;
    by.set(r.period, c);
  }
  return [...by.values()].sort((a, b) => (a.period < b.period ? -1 : 1));
}

function invalid(table: ParsedTable<unknown>, problems: RowError[]): AppError {
  const n = problems.filter(isError).length;
  const where = table.headerRow ? `表头在第 ${table.headerRow} 行；` : '';
  return new AppError('ENTRY.UPLOAD_INVALID', `${where}上传文件有 ${n} 处错误，未导入任何记录 / ${n} problems; nothing was stored`, problems);
}

const TEMPLATE_INSTRUCTIONS = [
  '信义积分批量导入：填写说明',
  '1. 在“积分记录”表中每行填一条记录；表头必须保留，表头上方可以有标题行，表头所在行会自动识别。“序号”列可有可无。',
  '2. 卡号、姓名：按村民积分卡填写；姓名须与卡号对应的村民一致。',
  '3. 事项编码：可填编码（如 T01）、事项的完整名称，或从下拉列表中选择“编码 名称”。全部事项、计分规则和需填写的列见“事项目录”表。',
  '4. 发生日期：事情发生的日期，如 2026-11-03、2026/11/3、2026.11.3 或 2026年11月3日；只能录入上月 1 日至今天的事。',
  '5. 数量：按小时、按金额计分的事项（如志愿服务时长、捐款金额）必须填写；其他事项留空。',
  '6. 分值、理由：“由议事会评定”的区间事项必须填写分值（在规定区间内）和理由；其他事项的分值由规则自动计算，请留空。',
  '7. 证据说明：签到表、照片、证明材料等的说明，便于议事会核对。',
  '8. 整个文件要么全部导入，要么全部不导入；有错误时会逐行列出全部错误，也可下载带“错误说明”列的错误报告，在 Excel 中改正后直接重新上传。',
  '9. 示例行为演示数据（东村），正式使用前请删除。',
];

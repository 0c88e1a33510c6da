import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { CARD_CODE_PATTERN } from '@app/common/http/field-decorators';
import { buildTemplate, cell, parseTable, type ColumnSpec, type RowError, type UploadedFile } from '@app/common/tabular/tabular';
import { ITEM_CODE_PATTERN } from './entries.dto';
import { EntriesRepository } from './entries.repository';
import { EntriesService, hashRequest, type EntryInput } from './entries.service';

/** Most rows one upload may carry: a month of a large village, with room to spare. */
export const ENTRY_UPLOAD_MAX_ROWS = 20_000;

interface EntryRow {
  cardCode: string;
  name: string;
  itemCode: string;
  occurredOn: string;
  quantity: number | null;
  points: number | null;
  reason: string | null;
  evidenceNote: string | null;
}

const COLUMNS: ColumnSpec<unknown>[] = [
  { key: 'cardCode', header: '卡号', aliases: ['积分卡号', 'cardCode'], required: true, example: 'DC0001A7', parse: cell.string({ max: 20, pattern: CARD_CODE_PATTERN, transform: (s) => s.toUpperCase(), message: '卡号应为 6–20 位大写字母或数字 / card code: 6–20 upper-case letters or digits' }) },
  { key: 'name', header: '姓名', aliases: ['name'], required: true, example: '张三', parse: cell.string({ max: 40 }) },
  { key: 'itemCode', header: '事项编码', aliases: ['事项代码', 'itemCode'], required: true, example: 'T01', parse: cell.string({ max: 3, pattern: ITEM_CODE_PATTERN, transform: (s) => s.toUpperCase(), message: '事项编码形如 T01、B01、V01 / item code like T01' }) },
  { key: 'occurredOn', header: '发生日期', aliases: ['日期', 'occurredOn'], required: true, example: '2026-11-03', parse: cell.date() },
  { key: 'quantity', header: '数量', aliases: ['quantity'], required: false, example: '4', parse: cell.decimal({ min: 0, max: 1_000_000, maxDecimals: 6 }) },
  { key: 'points', header: '分值', aliases: ['points'], required: false, example: '', parse: cell.integer({ min: 0, max: 1000 }) },
  { key: 'reason', header: '理由', aliases: ['reason'], required: false, example: '', parse: cell.string({ max: 500, multiline: true }) },
  { key: 'evidenceNote', header: '证据说明', aliases: ['备注', 'evidenceNote'], required: false, example: '志愿服务签到表第 3 页', parse: cell.string({ max: 1000, multiline: true }) },
];

const HEADER_OF: Record<string, string> = { resident: '卡号', itemCode: '事项编码', occurredOn: '发生日期', quantity: '数量', points: '分值', reason: '理由' };

/**
 * A month's entries from CSV or .xlsx: all or nothing. Any bad row means nothing is stored and
 * the answer lists every bad row; the same file twice for a village is refused.
 */
@Injectable()
export class EntriesUploadService {
  constructor(
    private readonly repo: EntriesRepository,
    private readonly entries: EntriesService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
  ) {}

  template(format: 'csv' | 'xlsx'): Promise<Buffer> {
    return buildTemplate(COLUMNS, format, '积分记录');
  }

  async upload(ctx: RequestContext, villageId: string, file: UploadedFile | undefined) {
    const village = await this.scope.village(ctx.principal, villageId);
    if (!file) throw new AppError('ENTRY.UPLOAD_INVALID', '缺少文件（字段名 file）/ no file in field "file"');
    const table = await parseTable<EntryRow>(file, COLUMNS, { maxRows: ENTRY_UPLOAD_MAX_ROWS });
    if (table.errors.length) throw invalid(table.errors);
    if (await this.repo.batchExists(village.id, table.checksum)) throw new AppError('ENTRY.DUPLICATE_BATCH');

    const residents = await this.repo.findResidentsByCardCode([...new Set(table.rows.map((r) => r.values.cardCode))]);
    const byCard = new Map(residents.map((r) => [r.cardCode, r]));
    const nameErrors: RowError[] = [];
    const inputs: EntryInput[] = table.rows.map(({ row, values: v }) => {
      const resident = byCard.get(v.cardCode) ?? null;
      if (resident && resident.villageId === village.id && resident.name !== v.name) {
        nameErrors.push({ row, column: '姓名', code: 'UPLOAD.NAME_MISMATCH', message: `卡号 ${v.cardCode} 对应的姓名不是“${v.name}” / name does not match the card` });
      }
      return {
        row,
        resident,
        itemCode: v.itemCode,
        occurredOn: v.occurredOn,
        quantity: v.quantity,
        chosenPoints: v.points,
        reason: v.reason,
        evidenceNote: v.evidenceNote,
        idempotencyKey: null,
        requestHash: hashRequest({ villageId: village.id, ...v }),
      };
    });
    const batchId = randomUUID();
    try {
      return await this.repo.db.transaction(async (m) => {
        const { rows, problems } = await this.entries.prepare(m, ctx, village, inputs, batchId);
        const errors = [...nameErrors, ...problems.map((p) => ({ row: p.row, column: p.column ? (HEADER_OF[p.column] ?? p.column) : null, code: p.code, message: p.message }))];
        if (errors.length) throw invalid(errors.sort((a, b) => a.row - b.row));
        const periods = countByPeriod(rows);
        const period = periods[0].period;
        await this.repo.insertBatch(m, { id: batchId, townId: village.townId, villageId: village.id, period, checksum: table.checksum, filename: file.originalname.slice(0, 200), rowCount: rows.length, uploadedBy: ctx.principal.id });
        await this.repo.insertEntries(m, rows);
        const flaggedDuplicates = rows.filter((r) => r.duplicateOf).length;
        await this.audit.record(ctx, { action: 'entry.upload', targetType: 'entry_batch', targetId: batchId, summary: { filename: file.originalname, rows: rows.length, period, periods, flaggedDuplicates } }, m);
        return { batchId, period, periods, created: rows.length, flaggedDuplicates };
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AppError('ENTRY.DUPLICATE_BATCH');
      throw err;
    }
  }
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

function invalid(errors: RowError[]): AppError {
  return new AppError('ENTRY.UPLOAD_INVALID', `上传文件有 ${errors.length} 处错误，未导入任何记录 / ${errors.length} problems; nothing was stored`, errors);
}

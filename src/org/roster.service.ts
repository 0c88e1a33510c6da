import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { buildTemplate, parseTable, type RowError, type UploadedFile } from '@app/common/tabular/tabular';
import { shanghaiDate } from '@app/common/time';
import { UPLOAD_GATE } from '@app/common/tabular/upload-gate';
import { setTransactionReadOnly } from '@app/database/sql';
import { generateCardCode } from './card-code';
import { IdHasher } from './id-hasher';
import type { RosterImportResultDto, RosterPreviewDto } from './roster.dto';
import { OrgRepository, type NewResident, type RosterMatch } from './org.repository';
import { residentUniqueViolation } from './resident.service';
import { ROSTER_COLUMNS, type RosterRow } from './roster.columns';

const CARD_CODE_ROUNDS = 5;

interface CheckedRow extends RosterRow {
  row: number;
  idHash: string;
  idLast4: string;
}

interface RosterChange {
  field: 'name' | 'phone' | 'householdCode';
  label: string;
  from: string | null;
  to: string;
}

interface RosterUpdate {
  row: number;
  residentId: string;
  cardCode: string;
  before: RosterMatch;
  after: CheckedRow;
  changes: RosterChange[];
}

interface RosterPlan {
  fresh: CheckedRow[];
  updates: RosterUpdate[];
  unchanged: number;
  newHouseholdCodes: string[];
  notInFile: Array<{ id: string; name: string; cardCode: string; householdCode: string }>;
}

function summaryOf(plan: RosterPlan, rows: number) {
  return {
    rows,
    created: plan.fresh.length,
    updated: plan.updates.length,
    moved: plan.updates.filter((u) => u.changes.some((c) => c.field === 'householdCode')).length,
    unchanged: plan.unchanged,
  };
}

/**
 * Village roster import: every row is checked (file, cross-row, against the database) before
 * anything is written, and then everything is written in one transaction. Matching is by ID
 * hash, so uploading the same roster again changes nothing.
 */
@Injectable()
export class RosterService {
  constructor(
    private readonly repo: OrgRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly ids: IdHasher,
  ) {}

  template(format: 'csv' | 'xlsx'): Promise<Buffer> {
    return buildTemplate(ROSTER_COLUMNS, format, { sheetName: '村民名册', instructions: ROSTER_INSTRUCTIONS, choices: { gender: ['男', '女'] } });
  }

  /**
   * What an import of this file would do, computed by the same code as the import itself, in a
   * READ ONLY transaction: nothing is written, and the errors come back in the answer (200), not
   * as a refusal, so the page can show them next to the rows.
   */
  preview(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<RosterPreviewDto> {
    return UPLOAD_GATE.run(() => this.previewNow(ctx, villageId, file));
  }

  private async previewNow(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<RosterPreviewDto> {
    const { parsed, rows, errors } = await this.parse(ctx, villageId, file, true);
    const plan = await this.repo.transaction(async (m) => {
      await setTransactionReadOnly(m);
      return this.plan(m, villageId, rows, errors);
    });
    return {
      ...summaryOf(plan, rows.length),
      checksum: parsed.checksum,
      headerRow: parsed.headerRow ?? 1,
      householdsCreated: plan.newHouseholdCodes.length,
      canApply: errors.length === 0 && rows.length > 0,
      errors: [...errors].sort((a, b) => a.row - b.row),
      newResidents: plan.fresh.map((r) => ({ row: r.row, name: r.name, householdCode: r.householdCode, gender: r.gender, birthYear: r.birthYear, idLast4: r.idLast4, cardCode: r.cardCode })),
      changedResidents: plan.updates.map((u) => ({ row: u.row, residentId: u.residentId, name: u.before.name, cardCode: u.cardCode, changes: u.changes, moved: u.changes.some((c) => c.field === 'householdCode') })),
      newHouseholdCodes: plan.newHouseholdCodes,
      notInFile: plan.notInFile,
    };
  }

  import(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<RosterImportResultDto> {
    return UPLOAD_GATE.run(() => this.importNow(ctx, villageId, file));
  }

  private async importNow(ctx: RequestContext, villageId: string, file: UploadedFile | undefined): Promise<RosterImportResultDto> {
    const { parsed, rows, errors, village } = await this.parse(ctx, villageId, file, false);

    // One transaction: a roster is either imported whole or not at all (and the village lock makes
    // a concurrent upload of the same people wait for this one and then find them "unchanged").
    return this.repo
      .transaction(async (m) => {
        await this.repo.lockVillage(m, villageId);
        const villageRow = await this.repo.findVillage(villageId, m);
        const plan = await this.plan(m, villageId, rows, errors);
        if (errors.length) throw invalid(errors, parsed.headerRow);
        const { fresh, updates } = plan;

        const households = await this.repo.ensureHouseholds(m, village.townId, villageId, [...new Set([...fresh, ...updates.map((u) => u.after)].map((r) => r.householdCode))]);
        const cardCodes = await this.assignCardCodes(m, villageRow?.code ?? '', fresh);
        const toInsert: NewResident[] = fresh.map((r, i) => ({
          householdId: households.ids.get(r.householdCode) as string,
          name: r.name,
          gender: r.gender,
          birthYear: r.birthYear,
          cardCode: cardCodes[i] as string,
          phone: r.phone,
          smsConsent: r.smsConsent ?? false,
          idHash: r.idHash,
          idLast4: r.idLast4,
        }));
        const created = await this.repo.insertResidents(m, village.townId, villageId, toInsert);
        await this.repo.updateResidentsFromRoster(
          m,
          updates.map((u) => ({ id: u.residentId, name: u.after.name, phone: u.after.phone ?? u.before.phone, householdId: households.ids.get(u.after.householdCode) as string })),
        );
        const today = shanghaiDate();
        await this.repo.insertStatusEvents(
          m,
          created.map((residentId) => ({ townId: village.townId, residentId, fromStatus: null, toStatus: 'active', effectiveOn: today, reason: '名册导入 / roster import', actorId: ctx.principal.id })),
        );
        const result = { ...summaryOf(plan, rows.length), householdsCreated: households.created, checksum: parsed.checksum, headerRow: parsed.headerRow ?? 1 };
        // Re-uploading an imported roster writes nothing, so there is no change to audit either.
        if (created.length || updates.length) {
          const changed = updates.map((u) => ({ residentId: u.residentId, changes: u.changes }));
          await this.audit.record(ctx, { action: 'roster.import', targetType: 'village', targetId: villageId, summary: { ...result, file: file?.originalname, format: parsed.format, changed } }, m);
        }
        return result;
      })
      .catch(residentUniqueViolation);
  }

  /** The file's rows after the cell and within-file checks (their errors collected in `errors`). */
  private async parse(ctx: RequestContext, villageId: string, file: UploadedFile | undefined, preview: boolean) {
    if (!file) throw new AppError('ROSTER.FILE_MISSING');
    const village = await this.scope.village(ctx.principal, villageId);
    const parsed = await parseTable<RosterRow>(file, ROSTER_COLUMNS, { ignoreColumns: ['序号', '编号'], keepSource: false });
    if (parsed.format === null) throw new AppError('ROSTER.UNSUPPORTED_FORMAT', undefined, parsed.errors);
    if (parsed.checkedRows.length === 0 && !preview) throw new AppError('ROSTER.INVALID', undefined, parsed.errors);
    // One pass: the cell errors, the ID checks of the rows whose ID parsed, and (in plan) the
    // checks against the register, all in one answer.
    const errors: RowError[] = [...parsed.errors];
    const rows = this.checkWithinFile(parsed.checkedRows, errors);
    return { parsed, rows, errors, village };
  }

  /**
   * Against the register: people new to it, people of this village whose name, phone or household
   * differ (a blank phone cell keeps the phone on record), the village's active residents the file
   * does not list (told, never changed: a status change needs a reason), and errors for people
   * registered elsewhere and card codes that clash.
   */
  private async plan(m: EntityManager, villageId: string, rows: CheckedRow[], errors: RowError[]): Promise<RosterPlan> {
    const existing = new Map((await this.repo.findByIdHashes(m, rows.map((r) => r.idHash))).map((e) => [e.idHash, e]));
    const fresh: CheckedRow[] = [];
    const updates: RosterUpdate[] = [];
    let unchanged = 0;
    for (const r of rows) {
      const e = existing.get(r.idHash);
      if (!e) fresh.push(r);
      else if (e.villageId !== villageId) errors.push(rowError(r.row, '身份证号', 'ROSTER.ID_IN_OTHER_VILLAGE', '已登记在其他村，请先办理迁出 / is registered in another village'));
      else if (r.cardCode && r.cardCode !== e.cardCode) errors.push(rowError(r.row, '卡号', 'ROSTER.CARD_CODE_MISMATCH', '与此人已有的卡号不同 / differs from the card code this resident has'));
      else {
        const changes: RosterChange[] = [];
        if (r.name !== e.name) changes.push({ field: 'name', label: '姓名', from: e.name, to: r.name });
        if (r.phone !== null && r.phone !== e.phone) changes.push({ field: 'phone', label: '手机号', from: e.phone, to: r.phone });
        if (r.householdCode !== e.householdCode) changes.push({ field: 'householdCode', label: '户号', from: e.householdCode, to: r.householdCode });
        if (changes.length) updates.push({ row: r.row, residentId: e.id, cardCode: e.cardCode, before: e, after: r, changes });
        else unchanged += 1;
      }
    }
    const taken = await this.repo.cardCodesInUse(m, fresh.flatMap((r) => (r.cardCode ? [r.cardCode] : [])));
    for (const r of fresh) {
      if (r.cardCode && taken.has(r.cardCode)) errors.push(rowError(r.row, '卡号', 'ROSTER.DUPLICATE_CARD_CODE', '已被其他村民使用 / is already in use'));
    }
    const wanted = [...new Set([...fresh, ...updates.map((u) => u.after)].map((r) => r.householdCode))];
    const known = await this.repo.householdCodesIn(m, villageId, wanted);
    const listed = new Set(rows.map((r) => r.idHash));
    const notInFile = (await this.repo.activeResidentsOfVillage(m, villageId)).filter((r) => !listed.has(r.idHash)).map(({ idHash: _omit, ...r }) => r);
    return { fresh, updates, unchanged, newHouseholdCodes: wanted.filter((c) => !known.has(c)).sort(), notInFile };
  }

  private checkWithinFile(parsed: Array<{ row: number; values: RosterRow; failed: string[] }>, errors: RowError[]): CheckedRow[] {
    const firstRowOfId = new Map<string, number>();
    const firstRowOfCard = new Map<string, number>();
    const out: CheckedRow[] = [];
    for (const { row, values, failed } of parsed) {
      // A cell already reported is not checked again (its value is a stand-in).
      if (failed.includes('nationalId')) continue;
      const id = this.ids.check(values.nationalId);
      if (!id.ok) {
        // The column parser already checked the number; this only guards against a change there.
        errors.push(rowError(row, '身份证号', id.code, id.message));
        continue;
      }
      if (!failed.includes('gender') && id.gender !== values.gender) errors.push(rowError(row, '性别', 'ROSTER.ID_MISMATCH', '与身份证号不符 / does not match the ID number'));
      if (!failed.includes('birthYear') && id.birthYear !== values.birthYear) errors.push(rowError(row, '出生年份', 'ROSTER.ID_MISMATCH', '与身份证号中的出生年份不符 / does not match the ID number'));
      const dupId = firstRowOfId.get(id.idHash);
      if (dupId !== undefined) errors.push(rowError(row, '身份证号', 'ROSTER.DUPLICATE_ID', `与第 ${dupId} 行重复 / duplicates row ${dupId}`));
      else firstRowOfId.set(id.idHash, row);
      if (values.cardCode) {
        const dupCard = firstRowOfCard.get(values.cardCode);
        if (dupCard !== undefined) errors.push(rowError(row, '卡号', 'ROSTER.DUPLICATE_CARD_CODE', `与第 ${dupCard} 行重复 / duplicates row ${dupCard}`));
        else firstRowOfCard.set(values.cardCode, row);
      }
      out.push({ ...values, row, idHash: id.idHash, idLast4: id.idLast4 });
    }
    return out;
  }

  private async assignCardCodes(m: EntityManager, villageCode: string, rows: CheckedRow[]): Promise<string[]> {
    const codes = rows.map((r) => r.cardCode);
    const used = new Set(codes.filter((c): c is string => c !== null));
    for (let round = 0; round < CARD_CODE_ROUNDS; round++) {
      const open = codes.flatMap((c, i) => (c === null ? [i] : []));
      if (open.length === 0) return codes as string[];
      const candidates = new Map<number, string>();
      for (const i of open) {
        let c = generateCardCode(villageCode);
        while (used.has(c)) c = generateCardCode(villageCode);
        used.add(c);
        candidates.set(i, c);
      }
      const taken = await this.repo.cardCodesInUse(m, [...candidates.values()]);
      for (const [i, c] of candidates) if (!taken.has(c)) codes[i] = c;
    }
    throw new Error('no free card codes after several rounds');
  }
}

function rowError(row: number, column: string, code: string, predicate: string): RowError {
  return { row, column, code, message: `第 ${row} 行“${column}”${predicate}` };
}

function invalid(errors: RowError[], headerRow: number | null): AppError {
  const where = headerRow ? `表头在第 ${headerRow} 行；` : '';
  return new AppError('ROSTER.INVALID', `${where}名册有 ${errors.length} 处错误，未导入任何数据 / ${errors.length} problems; nothing was imported`, [...errors].sort((a, b) => a.row - b.row));
}

const ROSTER_INSTRUCTIONS = [
  '村民名册导入：填写说明',
  '1. 在“村民名册”表中每行填一位村民；表头必须保留，表头上方可以有标题行，表头所在行会自动识别。“序号”列可有可无。',
  '2. 户号：本村的户编号（如 DC-001），同一户的村民填同一个户号；新户号会自动建户。',
  '3. 性别、出生年份须与身份证号一致；身份证号请设为“文本”格式，避免 Excel 把 18 位数字改成科学计数法。',
  '4. 手机号可空；卡号可空，空则自动生成积分卡号。',
  '5. 整个名册要么全部导入，要么全部不导入；有错误时逐行列出全部错误。已在册的村民（同一身份证号）按名册更新姓名、手机号和户号（手机号留空则保留原号码），其余不变；导入前可先“预览”查看将发生的变化。',
  '6. 示例行为演示数据，正式使用前请删除。',
];

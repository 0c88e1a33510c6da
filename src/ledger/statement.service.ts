import { Injectable } from '@nestjs/common';
import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import type { DataSource } from 'typeorm';
import { ReadReplica } from '@app/database/read-replica';
import { fieldProblem } from '@app/common/http/validation-messages';
import type { PostingKind } from './ledger.entities';
import { explainRule } from '@app/scoring/rules/rule-engine';
import { StatementRepository, type RuleSource, type StatementPostingRow, type StatementResident, type StatementRunningRow } from './statement.repository';
import type { StatementDto, StatementLineDto, StatementPageQuery } from './ledger.dto';
import { CREDIT_SCORE_KINDS, gradeOf, ratingYearOfPeriod } from './projection';

export const KIND_LABELS: Record<PostingKind, string> = {
  deed: '积分事项',
  redemption: '兑换',
  redemption_void: '兑换撤销',
  correction: '更正',
  opening_balance: '期初余额',
  expiry: '年度清零',
};

/** Export columns: header (Chinese) and how to read it from a line. */
const COLUMNS: Array<{ header: string; width: number; value: (l: StatementLineDto) => string | number | null }> = [
  { header: '序号', width: 6, value: (l) => l.seq },
  { header: '记账日期', width: 12, value: (l) => l.date },
  { header: '所属期间', width: 10, value: (l) => l.period },
  { header: '类型', width: 10, value: (l) => l.kindLabel },
  { header: '发生日期', width: 12, value: (l) => l.occurredOn },
  { header: '事项编码', width: 10, value: (l) => l.itemCode },
  { header: '事项名称', width: 30, value: (l) => l.itemName },
  { header: '计分规则', width: 36, value: (l) => l.ruleText },
  { header: '本次计分说明', width: 44, value: (l) => l.explanation },
  { header: '评定理由', width: 24, value: (l) => l.committeeReason },
  { header: '证据说明', width: 24, value: (l) => l.evidenceNote },
  { header: '评议结论', width: 28, value: (l) => l.decision },
  { header: '评议期间', width: 10, value: (l) => l.reviewPeriod },
  { header: '小票号', width: 20, value: (l) => l.receiptNo },
  { header: '兑换超市', width: 18, value: (l) => l.shopName },
  { header: '摘要', width: 40, value: (l) => l.memo },
  { header: '更正理由', width: 30, value: (l) => l.reason },
  { header: '原记账编号', width: 10, value: (l) => l.originalPostingId },
  // A warning is written as such; it is 0 points, so a column sum is unchanged.
  { header: '积分', width: 8, value: (l) => (l.warning ? '警告' : l.points) },
  { header: '余额', width: 8, value: (l) => l.balance },
  { header: '信用分', width: 8, value: (l) => l.creditScore },
  { header: '记账编号', width: 10, value: (l) => l.postingId },
];

const MINUS = '\u2212';

/** '+5', '−10', '0'; a breach item's 0-point record is a warning (警告). */
export function pointsLabel(points: number, warning: boolean): string {
  if (warning) return '警告';
  return points > 0 ? `+${points}` : points < 0 ? `${MINUS}${-points}` : '0';
}

function ruleInWords(source: RuleSource, itemCode: string | null): string | null {
  try {
    return explainRule({ code: itemCode ?? '', sign: source.sign, rule: source.rule, caps: source.caps ?? undefined });
  } catch {
    // A rule the engine cannot read is shown without words rather than failing the statement.
    return null;
  }
}

/** Null for lines without a review decision, which all but deed lines are. */
function decisionText(r: StatementPostingRow): string | null {
  if (!r.decision) return null;
  const verdict = r.decision === 'approved' ? '议事会通过' : '议事会未通过';
  const meeting = r.meetingOn ? `（${r.meetingOn} 会议）` : '';
  return `${verdict}${meeting}${r.objectionDismissed ? '；公示期异议经核实不成立' : ''}`;
}

/** Rule texts remembered (item version × posting item code); a town's catalogue versions have a few hundred. */
const RULE_TEXTS_MAX = 20_000;

function ruleKey(r: StatementPostingRow): string {
  return `${r.ruleItemId}|${r.itemCode ?? ''}`;
}

export const STATEMENT_HEADERS = COLUMNS.map((c) => c.header);

/** The lines of a range, by their index in the account's postings, with their running figures. */
export interface RunningLines {
  /** The balance before the range's first line (after the last posting before `from`). */
  openingBalance: number;
  /** The balance after the range's last line (the opening balance when the range has none). */
  closingBalance: number;
  lines: Array<{ row: number; balance: number; creditScore: number }>;
}

/**
 * Running balance (every posting from the first) and credit score (the base score plus the
 * points so far of the posting's rating year, of the kinds that count) of each posting whose
 * Shanghai posting month is in from..to; `rows` are all the account's postings in seq order.
 */
export function runningLines(baseScore: number, rows: readonly StatementRunningRow[], from: string | null, to: string | null): RunningLines {
  let balance = 0;
  // Running credit score of the posting's rating year: base + that year's deed/correction points so far.
  const creditByYear = new Map<number, number>();
  let openingBalance = 0;
  const lines: RunningLines['lines'] = [];
  for (let row = 0; row < rows.length; row++) {
    const r = rows[row];
    balance += r.points;
    const year = ratingYearOfPeriod(r.period);
    if (CREDIT_SCORE_KINDS.has(r.kind)) creditByYear.set(year, (creditByYear.get(year) ?? 0) + r.points);
    const postedPeriod = r.postedDate.slice(0, 7);
    if (from && postedPeriod < from) {
      openingBalance = balance;
      continue;
    }
    if (to && postedPeriod > to) break;
    lines.push({ row, balance, creditScore: baseScore + (creditByYear.get(year) ?? 0) });
  }
  return { openingBalance, closingBalance: lines.length ? lines[lines.length - 1].balance : openingBalance, lines };
}

/**
 * A resident's statement (对账单): every posting with running balance and credit score, and what
 * explains it: for a deed the date, the item, its rule in words and what this occurrence was (the
 * engine's explanation fixed at assessment), the committee's reason and evidence, the review
 * decision and period; for a redemption the receipt and the shop.
 */
@Injectable()
export class StatementService {
  constructor(
    private readonly repo: StatementRepository,
    private readonly scope: ScopeService,
    private readonly replica: ReadReplica,
  ) {}

  /**
   * The rule in words of each catalogue item version a statement line was scored by, keyed by the
   * version's id and the posting's item code. catalog_items is append-only (PostgreSQL refuses an
   * UPDATE), so a version's words never change; reading its rule and caps on every line of every
   * statement, as JSON, and putting them in words again was per-line work for the same answer.
   */
  private readonly ruleTexts = new Map<string, string | null>();

  /** Fills ruleTexts for the lines' item versions not seen yet: one query for all of them, none when all are known. */
  private async learnRuleTexts(rows: StatementPostingRow[], db: DataSource): Promise<void> {
    const missing = new Set<string>();
    for (const r of rows) if (r.ruleItemId !== null && !this.ruleTexts.has(ruleKey(r))) missing.add(r.ruleItemId);
    if (missing.size === 0) return;
    const sources = new Map((await this.repo.ruleSources([...missing], db)).map((s) => [s.id, s]));
    if (this.ruleTexts.size + missing.size > RULE_TEXTS_MAX) this.ruleTexts.clear();
    for (const r of rows) {
      if (r.ruleItemId === null) continue;
      const key = ruleKey(r);
      if (this.ruleTexts.has(key)) continue;
      const source = sources.get(r.ruleItemId);
      this.ruleTexts.set(key, source ? ruleInWords(source, r.itemCode) : null);
    }
  }

  private ruleText(r: StatementPostingRow): string | null {
    return r.ruleItemId === null ? null : (this.ruleTexts.get(ruleKey(r)) ?? null);
  }

  /**
   * The statement of `from`..`to` (StatementQuery; every line of it), or one page of it on screen
   * (StatementPageQuery's `limit`: its newest lines before `beforeSeq`).
   */
  async statement(ctx: RequestContext, residentId: string, query: StatementPageQuery): Promise<StatementDto> {
    const from = query.from ?? null;
    const to = query.to ?? null;
    if (from && to && from > to) {
      throw new AppError('VALIDATION.FAILED', undefined, [fieldProblem('from', 'order', '不能晚于截止期间（to）', 'from must not be after to', '起始期间')]);
    }
    // A cursor without a page size would be ignored by the whole statement: say so instead.
    if (query.beforeSeq !== undefined && query.limit === undefined) {
      throw new AppError('VALIDATION.FAILED', undefined, [fieldProblem('beforeSeq', 'withLimit', '需与每页条数（limit）一起使用', 'beforeSeq needs limit', '更早记录的截止序号')]);
    }
    // The read replica when there is one and it has what this user last wrote (ReadReplica).
    return this.replica.read({ who: ctx.principal }, async (db) => {
      const found = await this.findResident(residentId, query.limit ?? null, db);
      this.scope.assertVillage(ctx.principal, { id: found.villageId, townId: found.townId });
      return this.page(found, residentId, from, to, query.limit ?? null, query.beforeSeq ?? null, db);
    });
  }

  /**
   * The resident's own statement, for their phone page: the caller has already proven who the
   * resident is (their access token), so there is no staff scope to check. A resident writes
   * nothing that changes it, so any replica that answers will do.
   */
  async ownStatement(residentId: string, page?: { limit: number; beforeSeq?: number }): Promise<StatementDto> {
    return this.replica.read({}, async (db) => {
      const found = await this.findResident(residentId, page?.limit ?? null, db);
      return this.page(found, residentId, null, null, page?.limit ?? null, page?.beforeSeq ?? null, db);
    });
  }

  /** The resident, and for a page (a `limit`) every posting's narrow row in the same query. */
  private async findResident(residentId: string, limit: number | null, db: DataSource): Promise<StatementResident & { running?: StatementRunningRow[] }> {
    const found = limit === null ? await this.repo.findStatementResident(residentId, db) : await this.repo.findStatementResidentRunning(residentId, db);
    if (!found) throw new AppError('LEDGER.ACCOUNT_NOT_FOUND');
    return found;
  }

  /**
   * The newest `limit` lines of the range before `beforeSeq` (every line of it when `limit` is
   * null). The whole statement is read and joined in one query. A page is still counted whole
   * (a line's balance and credit score are sums from the first posting) but from the narrow rows
   * that came with the resident, and only the page's postings are joined and sent: postings are
   * append-only and the page is a seq range the narrow read has seen, so the second read finds
   * exactly those rows. A posting that lands between the reads is not on this page.
   */
  private async page(resident: StatementResident & { running?: StatementRunningRow[] }, residentId: string, from: string | null, to: string | null, limit: number | null, beforeSeq: number | null, db: DataSource): Promise<StatementDto> {
    const inOneRead = !resident.running;
    const running: StatementRunningRow[] = resident.running ?? (await this.repo.listStatementPostings(residentId, db));
    const run = runningLines(resident.baseScore, running, from, to);
    let end = run.lines.length;
    if (beforeSeq !== null) while (end > 0 && running[run.lines[end - 1].row].seq >= beforeSeq) end--;
    const start = limit === null ? 0 : Math.max(0, end - limit);
    const shown = run.lines.slice(start, end);
    let rowOf: (row: number) => StatementPostingRow;
    if (inOneRead) {
      const rows = running as StatementPostingRow[];
      await this.learnRuleTexts(rows, db);
      rowOf = (row) => rows[row];
    } else {
      const rows = shown.length ? await this.repo.listStatementPostingsBetween(residentId, running[shown[0].row].seq, running[shown[shown.length - 1].row].seq, db) : [];
      await this.learnRuleTexts(rows, db);
      const bySeq = new Map(rows.map((r) => [r.seq, r]));
      rowOf = (row) => {
        const r = bySeq.get(running[row].seq);
        // Append-only postings: a seq once read is there on the next read. Never a client's error.
        if (!r) throw new Error(`statement page: posting seq ${running[row].seq} of ${residentId} not found on the second read`);
        return r;
      };
    }
    return this.dto(resident, from, to, run, start, shown.map((l) => this.line(rowOf(l.row), l.balance, l.creditScore)));
  }

  private dto(resident: StatementResident, from: string | null, to: string | null, run: RunningLines, earlierLines: number, lines: StatementLineDto[]): StatementDto {
    return {
      residentId: resident.residentId,
      residentName: resident.name,
      villageName: resident.villageName,
      from,
      to,
      openingBalance: run.openingBalance,
      closingBalance: run.closingBalance,
      currentBalance: resident.balance ?? 0,
      currentCreditScore: resident.creditScore ?? resident.baseScore,
      // No postings yet means no account: the grade of the town's base score, never ''.
      currentGrade: resident.grade ?? gradeOf(resident.baseScore, resident.gradeThresholds),
      earlierLines,
      lines,
    };
  }

  private line(r: StatementPostingRow, balance: number, creditScore: number): StatementLineDto {
    const warning = r.kind === 'deed' && r.points === 0 && r.sign === -1;
    return {
      seq: r.seq,
      postingId: r.id,
      postedAt: r.postedAt,
      date: r.postedDate,
      period: r.period,
      kind: r.kind,
      kindLabel: KIND_LABELS[r.kind],
      itemCode: r.itemCode,
      itemName: r.itemName,
      memo: r.memo,
      reason: r.correctionReason,
      originalPostingId: r.originalPostingId,
      points: r.points,
      pointsLabel: pointsLabel(r.points, warning),
      warning,
      occurredOn: r.occurredOn,
      ruleText: this.ruleText(r),
      explanation: r.explanation,
      committeeReason: r.committeeReason,
      evidenceNote: r.evidenceNote,
      decision: decisionText(r),
      decisionReason: r.decisionReason,
      reviewPeriod: r.reviewPeriod,
      receiptNo: r.receiptNo,
      shopName: r.shopName,
      balance,
      creditScore,
    };
  }

  /**
   * UTF-8 with BOM so Excel opens the Chinese headers correctly. Text that starts like a formula
   * (=, +, -, @) gets a leading ' so Excel shows it instead of running it: names, reasons and
   * item names come from other users. Numbers are left as they are.
   */
  toCsv(statement: StatementDto): Buffer {
    const body = stringifyCsv([STATEMENT_HEADERS, ...statement.lines.map((l) => COLUMNS.map((c) => c.value(l) ?? ''))], { escape_formulas: true });
    return Buffer.concat([Buffer.from('\uFEFF', 'utf8'), Buffer.from(body, 'utf8')]);
  }

  /** Streams the workbook (ExcelJS streaming writer: rows are committed as they are written). */
  toXlsxStream(statement: StatementDto): Readable {
    const out = new PassThrough();
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true });
    const sheet = workbook.addWorksheet('对账单');
    sheet.columns = COLUMNS.map((c) => ({ header: c.header, width: c.width }));
    sheet.getRow(1).font = { bold: true };
    sheet.getRow(1).commit();
    for (const l of statement.lines) sheet.addRow(COLUMNS.map((c) => c.value(l))).commit();
    sheet.commit();
    workbook.commit().catch((err: unknown) => out.destroy(err as Error));
    return out;
  }
}

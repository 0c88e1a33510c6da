import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { nextPeriod, periodOf, periodStart, previousPeriod, shanghaiDate } from '@app/common/time';
import type { RequestContext } from '@app/auth/principal';
import type { VillageRef } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { errorEntry, isErrorCode, type ErrorCode } from '@app/common/errors/error-codes';
import { CycleGateService } from '@app/review/cycle-gate.service';
import { EntriesRepository, type ItemVersion, type NewEntryRow, type ResidentForEntry, type StandingEntry } from './entries.repository';
import { entryInputProblems, evaluatePeriod, RuleInputError } from '@app/scoring/rules/rule-engine';
import type { ItemYearHistory, PeriodEntryInput } from '@app/scoring/rules/rule.types';

/** A scored entry ready to insert, with what a preview shows of it. */
export interface PreparedEntry extends NewEntryRow {
  /** 补录: its deed month was closed, so it goes to a later period. */
  late: boolean;
  item: ItemVersion;
}

/** One entry to score, from the API or from a spreadsheet row. */
export interface EntryInput {
  row: number; // 0 for the single-entry API
  resident: ResidentForEntry | null;
  itemCode: string;
  occurredOn: string;
  quantity: number | null;
  chosenPoints: number | null;
  reason: string | null;
  evidenceNote: string | null;
  idempotencyKey: string | null;
  requestHash: string;
  /**
   * Fields whose spreadsheet cell was already reported as wrong: not checked again (their value
   * is a stand-in), and the row is never stored. The other fields are checked as usual, so one
   * upload answers with every problem of the row.
   */
  reported?: ReadonlyArray<EntryProblemField>;
}

export type EntryProblemField = 'resident' | 'occurredOn' | 'itemCode' | 'quantity' | 'points' | 'reason';

export interface EntryProblem {
  row: number;
  column: string | null;
  code: ErrorCode;
  message: string;
}

/**
 * Entries checked and scored before they are stored, for one entry (EntriesService: create and
 * preview) and for a whole upload (EntriesUploadService) alike: the same checks, the same rule
 * engine, the same choice of period. It stores no entry: the caller stores the rows in the
 * transaction it passes, where the cycles they go to stay share-locked until it commits.
 */
@Injectable()
export class EntryPreparationService {
  constructor(
    private readonly repo: EntriesRepository,
    private readonly cycles: CycleGateService,
  ) {}

  /**
   * Validates and scores entries inside the caller's transaction. Each entry goes to the period
   * of its deed month while that cycle is open, else to the village's next open cycle, marked
   * late (补录); the chosen cycles stay share-locked until the caller commits (see `periodsFor`).
   * Returns rows ready to insert, or every problem found (row by row). With `dryRun` (preview)
   * nothing is created or locked: a cycle that does not exist yet counts as open.
   */
  async prepare(
    m: EntityManager,
    ctx: RequestContext,
    village: VillageRef,
    inputs: EntryInput[],
    batchId: string | null,
    opts: { dryRun?: boolean } = {},
  ): Promise<{ rows: PreparedEntry[]; problems: EntryProblem[]; periods: string[] }> {
    const now = new Date();
    const today = shanghaiDate(now);
    const earliest = shanghaiDate(periodStart(previousPeriod(periodOf(now))));
    const problems: EntryProblem[] = [];
    const fail = (row: number, column: string | null, code: ErrorCode, message?: string) =>
      problems.push({ row, column, code, message: message ?? errorEntry(code).message });

    const itemsByDate = new Map<string, Map<string, ItemVersion>>();
    for (const date of new Set(inputs.map((i) => i.occurredOn))) {
      const codes = [...new Set(inputs.filter((i) => i.occurredOn === date).map((i) => i.itemCode))];
      // On the transaction's own connection: a second one from the pool per entry in flight would
      // starve the pool when as many entries run at once as it has connections.
      const items = await this.repo.findItemsInForce(m, village.townId, village.id, date, codes);
      itemsByDate.set(date, new Map(items.map((i) => [i.code, i])));
    }

    const accepted: Array<{ input: EntryInput; item: ItemVersion; resident: ResidentForEntry; id: string; period: string }> = [];
    // Every problem of a row is listed (a clerk fixing a sheet should not need a second upload
    // to see the next one); a row with any problem is not scored.
    for (const input of inputs) {
      const skip = new Set<string>(input.reported ?? []);
      const before = problems.length;
      const r = input.resident;
      if (skip.has('resident')) {
        // already reported
      } else if (!r) {
        fail(input.row, 'resident', 'ENTRY.RESIDENT_NOT_FOUND');
      } else if (r.townId !== village.townId || r.villageId !== village.id) {
        fail(input.row, 'resident', 'AUTH.OUT_OF_SCOPE', '该村民不属于本村 / resident is not of this village');
      } else if (r.status !== 'active') {
        fail(input.row, 'resident', 'ENTRY.RESIDENT_NOT_ACTIVE');
      }
      if (!skip.has('occurredOn') && (input.occurredOn > today || input.occurredOn < earliest)) {
        fail(input.row, 'occurredOn', 'ENTRY.DATE_OUT_OF_WINDOW', `发生日期须在 ${earliest} 至 ${today} 之间 / occurredOn must be within ${earliest}..${today}`);
      }
      const item = skip.has('itemCode') ? undefined : itemsByDate.get(input.occurredOn)?.get(input.itemCode);
      if (!skip.has('itemCode') && !item) {
        fail(input.row, 'itemCode', 'ENTRY.ITEM_NOT_IN_CATALOG', `事项 ${input.itemCode} 不在本镇现行目录中 / item not in the catalogue in force`);
      }
      if (item) {
        if (item.rule.type === 'range' && !input.reason && !skip.has('reason')) fail(input.row, 'reason', 'ENTRY.REASON_REQUIRED');
        for (const p of entryInputProblems(item.rule, input)) {
          const code: ErrorCode = isErrorCode(p.code) ? p.code : 'ENTRY.RULE_INPUT_INVALID';
          if (!skip.has(p.field)) fail(input.row, p.field, code, `${errorEntry(code).message}（${item.code}）`);
        }
      }
      if (problems.length === before && skip.size === 0 && r && item) accepted.push({ input, item, resident: r, id: randomUUID(), period: '' });
    }

    // Only dates inside the window get here, so no cycle is ever created for a far period.
    const target = await this.periodsFor(m, village, accepted.map((a) => a.input.occurredOn.slice(0, 7)), periodOf(now), opts.dryRun ?? false);
    for (const a of accepted) a.period = target.get(a.input.occurredOn.slice(0, 7)) as string;

    // Score per (resident, item, period): the period's standing entries plus the new ones, over
    // the rating year's history before the period (this upload's entries of earlier periods
    // included). Grouped so a 10,000-row file is a few queries.
    const residentIds = [...new Set(accepted.map((a) => a.resident.id))];
    const codes = [...new Set(accepted.map((a) => a.item.code))];
    const targets = [...new Set(accepted.map((a) => a.period))].sort();
    const standing = accepted.length ? await this.repo.findStandingEntries(m, residentIds, codes, `${targets[0].slice(0, 4)}-01`, targets[targets.length - 1]) : [];
    const standingByKey = groupBy(standing, (s) => `${s.residentId}|${s.itemCode}`);
    const freshByKey = new Map<string, StandingEntry[]>();
    const rows: PreparedEntry[] = [];
    const groups = [...groupBy(accepted, (a) => `${a.resident.id}|${a.item.code}|${a.period}`).values()].sort((x, y) => (x[0].period < y[0].period ? -1 : x[0].period > y[0].period ? 1 : 0));
    for (const group of groups) {
      const { item, period } = group[0];
      const key = `${group[0].resident.id}|${item.code}`;
      const firstOfYear = `${period.slice(0, 4)}-01`;
      const prior = [...(standingByKey.get(key) ?? []), ...(freshByKey.get(key) ?? [])];
      const history = historyOf(prior.filter((s) => s.period >= firstOfYear && s.period < period));
      const inPeriod: PeriodEntryInput[] = prior
        .filter((s) => s.period === period)
        .map((s) => ({ id: s.id, occurredOn: s.occurredOn, quantity: s.quantity, chosenPoints: s.chosenPoints }));
      const fresh = group.map((a) => ({ id: a.id, occurredOn: a.input.occurredOn, quantity: a.input.quantity, chosenPoints: a.input.chosenPoints }));
      let scores;
      try {
        scores = evaluatePeriod({ code: item.code, sign: item.sign, rule: item.rule, caps: item.caps ?? undefined }, history, [...inPeriod, ...fresh]);
      } catch (err) {
        if (!(err instanceof RuleInputError)) throw err;
        const bad = group.find((a) => a.id === err.details?.entryId) ?? group[0];
        const code: ErrorCode = isErrorCode(err.code) ? err.code : 'ENTRY.RULE_INPUT_INVALID';
        fail(bad.input.row, code.includes('QUANTITY') ? 'quantity' : code.includes('POINTS') ? 'points' : null, code, `${errorEntry(code).message}（${item.code}）`);
        continue;
      }
      const byId = new Map(scores.map((sc) => [sc.id, sc]));
      for (const a of group) {
        const sc = byId.get(a.id);
        if (!sc) continue;
        const deedPeriod = a.input.occurredOn.slice(0, 7);
        rows.push({
          id: a.id,
          townId: village.townId,
          villageId: village.id,
          residentId: a.resident.id,
          itemId: item.id,
          itemCode: item.code,
          period,
          occurredOn: a.input.occurredOn,
          quantity: a.input.quantity,
          chosenPoints: a.input.chosenPoints,
          points: sc.points,
          explanation: sc.explanation,
          reason: a.input.reason,
          evidenceNote: a.input.evidenceNote,
          idempotencyKey: a.input.idempotencyKey,
          requestHash: a.input.requestHash,
          batchId,
          enteredBy: ctx.principal.id,
          duplicateOf: null,
          late: period !== deedPeriod,
          item,
        });
        const mine = freshByKey.get(key) ?? [];
        mine.push({ id: a.id, residentId: a.resident.id, itemCode: item.code, period, occurredOn: a.input.occurredOn, quantity: a.input.quantity, chosenPoints: a.input.chosenPoints, points: sc.points });
        freshByKey.set(key, mine);
      }
    }
    if (problems.length) return { rows: [], problems: problems.sort((a, b) => a.row - b.row), periods: targets };

    // Likely duplicates (same resident, item, day) are flagged for the meeting, never merged.
    const earlier = await this.repo.findSameDayEntries(m, rows);
    const firstSeen = new Map<string, string>();
    for (const e of earlier) {
      const k = `${e.residentId}|${e.itemCode}|${e.occurredOn}`;
      if (!firstSeen.has(k)) firstSeen.set(k, e.id);
    }
    const rowById = new Map(accepted.map((a) => [a.id, a.input.row]));
    for (const r of rows.sort((a, b) => (rowById.get(a.id) ?? 0) - (rowById.get(b.id) ?? 0))) {
      const k = `${r.residentId}|${r.itemCode}|${r.occurredOn}`;
      const first = firstSeen.get(k);
      if (first) r.duplicateOf = first;
      else firstSeen.set(k, r.id);
    }
    return { rows, problems, periods: targets };
  }

  /**
   * The period each deed month goes to: the month itself while the village's cycle for it is
   * open, else the first open cycle after it, up to next month (this month closed early).
   * Cycles are visited in ascending period order and each stays share-locked (FOR SHARE) until
   * the transaction ends: a close takes the row exclusively, so it waits for these entries (its
   * assessment then sees them) or, if it came first, the entries see it closed and move on.
   * Every entry transaction locks in the same ascending order, and a close locks one row.
   */
  private async periodsFor(m: EntityManager, village: VillageRef, deedPeriods: string[], current: string, dryRun: boolean): Promise<Map<string, string>> {
    const last = nextPeriod(current);
    const states = new Map<string, string>();
    const stateOf = async (period: string): Promise<string> => {
      let state = states.get(period);
      if (state === undefined) {
        state = dryRun ? ((await this.cycles.stateOf(village.id, period, m)) ?? 'open') : await this.cycles.lockForEntry(m, village.townId, village.id, period);
        states.set(period, state);
      }
      return state;
    };
    const out = new Map<string, string>();
    for (const deed of [...new Set(deedPeriods)].sort()) {
      let period = deed;
      while ((await stateOf(period)) !== 'open') {
        if (period >= last) throw new AppError('CYCLE.NOT_OPEN');
        period = nextPeriod(period);
      }
      out.set(deed, period);
    }
    return out;
  }
}

/** A single entry's problems as its error: the first one, with all of them in the details. */
export function throwFirstProblem<T extends { problems: EntryProblem[] }>(prepared: T): T {
  const { problems } = prepared;
  if (problems.length) {
    const p = problems[0];
    throw new AppError(p.code, p.message, problems.length > 1 ? { problems } : undefined);
  }
  return prepared;
}

function historyOf(entries: StandingEntry[]): ItemYearHistory {
  return {
    quantity: entries.reduce((s, e) => s + (e.quantity ?? 0), 0),
    points: entries.reduce((s, e) => s + Math.abs(e.points), 0),
    occurrences: entries.length,
  };
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

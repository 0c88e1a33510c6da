/** The rule engine (see ./rule-engine.ts): evaluation. */
import type { CumulativeBandsRule, EntryScore, ItemCaps, ItemSign, ItemYearHistory, PerUnitRule, PeriodEntryInput, RangeRule, RepeatThresholdRule, Rule, RuleType, ScoringItem } from './rule.types.js';
import { Codes, MAX_ENTRY_QUANTITY, RuleInputError, formatQuantity, signed, toMicro, verbOf } from './rule-common';
import { assertValidItem } from './validate';

/** A rule's verdict for one entry before caps. `final` verdicts are 0 by rule and skip caps. */
interface RawVerdict {
  magnitude: number;
  codes: Codes;
  reason: string;
  final?: boolean;
}

interface CheckedHistory {
  quantityMicro: number;
  points: number;
  occurrences: number;
}

function checkHistory(history: ItemYearHistory): CheckedHistory {
  const { quantity, points, occurrences } = history;
  const nonNegativeInteger = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;
  if (
    !(typeof quantity === 'number' && Number.isFinite(quantity) && quantity >= 0) ||
    !nonNegativeInteger(points) ||
    !nonNegativeInteger(occurrences)
  ) {
    throw new RuleInputError(
      'HISTORY.INVALID',
      'history needs quantity ≥ 0, and points and occurrences as non-negative integers',
    );
  }
  return { quantityMicro: toMicro(quantity), points, occurrences };
}

const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Canonical order: by occurredOn, then id. Plain code-unit comparison, not localeCompare, so the
 * order (and therefore who reaches a band or a threshold first) is the same on every machine.
 */
function canonicalOrder(entries: readonly PeriodEntryInput[]): PeriodEntryInput[] {
  return [...entries].sort(
    (a, b) =>
      compareCodeUnits(String(a.occurredOn), String(b.occurredOn)) ||
      compareCodeUnits(String(a.id), String(b.id)),
  );
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function isValidDate(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = DATE_PATTERN.exec(value);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

const needsQuantity = (type: RuleType): boolean =>
  type === 'per_unit' || type === 'cumulative_bands';

export interface EntryInputProblem {
  code: string;
  field: 'points' | 'quantity';
  message: string;
}

/**
 * Everything wrong with an entry's points and quantity under its rule, all at once (a spreadsheet
 * row with both a missing quantity and points it may not choose hears of both).
 */
export function entryInputProblems(rule: Rule, entry: Pick<PeriodEntryInput, 'quantity' | 'chosenPoints'>): EntryInputProblem[] {
  const problems: EntryInputProblem[] = [];
  const points = entry.chosenPoints;
  if (rule.type === 'range') {
    if (points === undefined || points === null) {
      problems.push({ code: 'ENTRY.POINTS_REQUIRED', field: 'points', message: `points between ${rule.min} and ${rule.max} are required` });
    } else if (typeof points !== 'number' || !Number.isInteger(points) || points < rule.min || points > rule.max) {
      problems.push({ code: 'ENTRY.POINTS_OUT_OF_RANGE', field: 'points', message: `points must be an integer from ${rule.min} to ${rule.max}` });
    }
  } else if (points !== undefined && points !== null) {
    // The catalogue rule decides the points; a client may only choose them for range items.
    problems.push({ code: 'ENTRY.POINTS_NOT_ALLOWED', field: 'points', message: `points are set by the ${rule.type} rule` });
  }

  const quantity = entry.quantity;
  if (!needsQuantity(rule.type)) {
    // 1 is tolerated because spreadsheets commonly put "1" in a count column for every row.
    if (quantity !== undefined && quantity !== null && quantity !== 1) {
      problems.push({ code: 'ENTRY.QUANTITY_NOT_ALLOWED', field: 'quantity', message: `a ${rule.type} item takes no quantity` });
    }
  } else if (quantity === undefined || quantity === null) {
    problems.push({ code: 'ENTRY.QUANTITY_REQUIRED', field: 'quantity', message: 'quantity is required' });
  } else if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0 || quantity > MAX_ENTRY_QUANTITY || toMicro(quantity) === 0) {
    problems.push({ code: 'ENTRY.QUANTITY_INVALID', field: 'quantity', message: `quantity must be a number greater than 0 and at most ${MAX_ENTRY_QUANTITY}` });
  }
  return problems;
}

/** Checks one entry against its rule; returns its quantity in micro-units (0 when none). */
function checkEntry(rule: Rule, entry: PeriodEntryInput): number {
  const fail = (code: string, message: string): never => {
    throw new RuleInputError(code, `entry ${String(entry.id)}: ${message}`, {
      entryId: String(entry.id),
    });
  };
  if (typeof entry.id !== 'string' || entry.id === '') fail('ENTRY.ID_INVALID', 'id is required');
  if (!isValidDate(entry.occurredOn)) {
    fail('ENTRY.OCCURRED_ON_INVALID', 'occurredOn must be a date YYYY-MM-DD');
  }
  const [first] = entryInputProblems(rule, entry);
  if (first !== undefined) fail(first.code, first.message);
  return needsQuantity(rule.type) ? toMicro(entry.quantity as number) : 0;
}

function bandReached(
  rule: CumulativeBandsRule,
  totalMicro: number,
): { index: number; atLeast: number; points: number } | undefined {
  let reached: { index: number; atLeast: number; points: number } | undefined;
  rule.bands.forEach((band, index) => {
    if (totalMicro >= toMicro(band.atLeast)) reached = { index, ...band };
  });
  return reached;
}

function bandsVerdict(
  rule: CumulativeBandsRule,
  beforeMicro: number,
  afterMicro: number,
): RawVerdict {
  const before = bandReached(rule, beforeMicro);
  const after = bandReached(rule, afterMicro);
  const awardBefore = before?.points ?? 0;
  const unit = rule.unitLabel;
  const total = `累计 ${formatQuantity(afterMicro)} ${unit}`;
  if (after === undefined) {
    const first = rule.bands[0];
    const firstText = first === undefined ? '' : `“${first.atLeast} ${unit}”`;
    return { magnitude: 0, codes: ['BAND_NONE'], reason: `${total}，未达首档${firstText}` };
  }
  const bandText = `“${after.atLeast} ${unit}”档（累计 ${after.points} 分）`;
  if (after.index === before?.index) {
    const next = rule.bands[after.index + 1];
    const nextText = next === undefined ? '已是最高档' : `未达下一档“${next.atLeast} ${unit}”`;
    return { magnitude: 0, codes: ['BAND_NONE'], reason: `${total}，仍在${bandText}，${nextText}` };
  }
  return {
    magnitude: after.points - awardBefore,
    codes: ['BAND_CROSSED'],
    reason: `${total}，达到${bandText}，此前已得 ${awardBefore} 分`,
  };
}

function perUnitAward(rule: PerUnitRule, totalMicro: number): number {
  // Both operands are integers, so the division is exact whenever the true quotient is.
  return Math.floor(totalMicro / toMicro(rule.unitSize)) * rule.pointsPerUnit;
}

function perUnitVerdict(
  rule: PerUnitRule,
  sign: ItemSign,
  beforeMicro: number,
  afterMicro: number,
): RawVerdict {
  const before = perUnitAward(rule, beforeMicro);
  const after = perUnitAward(rule, afterMicro);
  const unit = rule.unitLabel;
  return {
    magnitude: after - before,
    codes: ['PER_UNIT'],
    reason:
      `累计 ${formatQuantity(afterMicro)} ${unit}，每 ${rule.unitSize} ${unit} ` +
      `${signed(sign, rule.pointsPerUnit)} 分，累计应得 ${after} 分，此前已得 ${before} 分`,
  };
}

/**
 * `verb` style reads as a sentence in an explanation ('第 2 次起每次扣 10 分'); `signed` style
 * matches the catalogue's other rules ('第 2 次起每次 −10 分').
 */
export function thresholdWords(rule: RepeatThresholdRule, sign: ItemSign, style: 'verb' | 'signed'): string {
  const amount =
    style === 'verb' ? `${verbOf(sign)} ${rule.points} 分` : ` ${signed(sign, rule.points)} 分`;
  if (rule.threshold === 1) return rule.scoreEach ? `每次${amount}` : `仅第 1 次${amount}`;
  return rule.scoreEach ? `第 ${rule.threshold} 次起每次${amount}` : `第 ${rule.threshold} 次${amount}`;
}

function thresholdVerdict(rule: RepeatThresholdRule, sign: ItemSign, n: number): RawVerdict {
  const verb = verbOf(sign);
  const words = thresholdWords(rule, sign, 'verb');
  if (n < rule.threshold) {
    return {
      magnitude: 0,
      codes: ['THRESHOLD_WARNING'],
      reason: `第 ${n} 次，记录警告，不${verb}分（${words}）`,
      final: true,
    };
  }
  if (n > rule.threshold && !rule.scoreEach) {
    return {
      magnitude: 0,
      codes: ['THRESHOLD_AFTER_ONCE'],
      reason: `第 ${n} 次，按规定仅第 ${rule.threshold} 次${verb}分，本次不再${verb}分`,
      final: true,
    };
  }
  const amount = `${verb} ${rule.points} 分`;
  let why: string;
  if (rule.threshold === 1) why = rule.scoreEach ? `按规定每次${amount}` : `按规定仅第 1 次${amount}`;
  else if (n === rule.threshold) why = `达到 ${rule.threshold} 次，按规定${amount}`;
  else why = `已超过 ${rule.threshold} 次，按规定每次${amount}`;
  return { magnitude: rule.points, codes: ['THRESHOLD_SCORED'], reason: `第 ${n} 次，${why}` };
}

function rangeVerdict(rule: RangeRule, chosen: number): RawVerdict {
  return {
    magnitude: chosen,
    codes: ['RANGE'],
    reason: `议事会评定 ${chosen} 分（可评 ${rule.min}—${rule.max} 分）`,
  };
}

interface CapOutcome {
  magnitude: number;
  codes: Codes;
  note?: string;
}

function applyCaps(
  raw: number,
  caps: ItemCaps | undefined,
  monthSoFar: number,
  yearSoFar: number,
): CapOutcome {
  const monthLeft =
    caps?.perMonth === undefined ? Infinity : Math.max(0, caps.perMonth - monthSoFar);
  const yearLeft = caps?.perYear === undefined ? Infinity : Math.max(0, caps.perYear - yearSoFar);
  const magnitude = Math.min(raw, monthLeft, yearLeft);
  if (magnitude === raw) return { magnitude, codes: [] };

  const codes: Codes = [];
  if (monthLeft < raw) codes.push('CAP_MONTH');
  if (yearLeft < raw) codes.push('CAP_YEAR');
  // Name the cap that actually bound; on a tie the year cap is the more lasting news.
  const byMonth = monthLeft < yearLeft;
  const label = byMonth ? '本月' : '本年';
  const cap = byMonth ? caps?.perMonth : caps?.perYear;
  const note = magnitude === 0 ? `已达${label}上限 ${cap} 分` : `受${label}上限 ${cap} 分限制`;
  return { magnitude, codes, note };
}

/**
 * Scores one resident's entries for one item in one period, given the resident's standing history
 * for that item earlier in the rating year. Entries are scored, and returned, in canonical order
 * (occurredOn, id) so that the typing order never changes who reaches a band or a threshold.
 *
 * An entry's period is not checked against its occurredOn: late entries are legitimately scored
 * in the period they were entered (DESIGN.md §5 `cycle.close`).
 *
 * Caps are hard limits: points cut by a cap are not carried forward, and quantity-based awards are
 * always computed from the quantity totals (award(before + q) − award(before)), not from the points
 * actually given.
 */
export function evaluatePeriod(
  item: ScoringItem,
  history: ItemYearHistory,
  entries: PeriodEntryInput[],
): EntryScore[] {
  assertValidItem(item);
  const past = checkHistory(history);
  const ordered = canonicalOrder(entries);
  const quantities = ordered.map((entry) => checkEntry(item.rule, entry));
  for (let i = 1; i < ordered.length; i++) {
    const id = ordered[i]?.id;
    if (id !== undefined && id === ordered[i - 1]?.id) {
      // Equal ids would make the canonical order, and so the scores, depend on input order.
      throw new RuleInputError('ENTRY.DUPLICATE_ID', `entry ${id} appears twice`, { entryId: id });
    }
  }

  const { rule, sign } = item;
  let quantityMicro = past.quantityMicro;
  let monthTotal = 0;

  return ordered.map((entry, index): EntryScore => {
    const beforeMicro = quantityMicro;
    quantityMicro += quantities[index] ?? 0;

    let verdict: RawVerdict;
    switch (rule.type) {
      case 'fixed':
        verdict = {
          magnitude: rule.points,
          codes: ['FIXED'],
          reason: `按规定 ${signed(sign, rule.points)} 分`,
        };
        break;
      case 'range':
        verdict = rangeVerdict(rule, entry.chosenPoints ?? 0);
        break;
      case 'per_unit':
        verdict = perUnitVerdict(rule, sign, beforeMicro, quantityMicro);
        break;
      case 'cumulative_bands':
        verdict = bandsVerdict(rule, beforeMicro, quantityMicro);
        break;
      case 'repeat_threshold':
        verdict = thresholdVerdict(rule, sign, past.occurrences + index + 1);
        break;
    }

    if (verdict.final === true) {
      return { id: entry.id, points: 0, explanation: { codes: verdict.codes, text: verdict.reason } };
    }
    const capped = applyCaps(verdict.magnitude, item.caps, monthTotal, past.points + monthTotal);
    monthTotal += capped.magnitude;
    const parts = [verdict.reason];
    if (capped.note !== undefined) parts.push(capped.note);
    parts.push(`本次 ${signed(sign, capped.magnitude)}`);
    return {
      id: entry.id,
      // `sign * 0` is -0 for breach items, which JSON would print as 0 but Object.is would not.
      points: capped.magnitude === 0 ? 0 : sign * capped.magnitude,
      explanation: { codes: [...verdict.codes, ...capped.codes], text: parts.join('，') },
    };
  });
}

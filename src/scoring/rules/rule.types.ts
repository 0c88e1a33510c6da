/**
 * Catalogue rule shapes. Every item's rule decides its points; the client never does
 * (DESIGN.md §4.7). All point numbers inside a rule are MAGNITUDES (positive integers);
 * the item's `sign` (+1 trust / -1 breach) gives the direction of the result.
 */

export type ItemSign = 1 | -1;

/** Each occurrence scores `points`. */
export interface FixedRule {
  type: 'fixed';
  points: number;
}

/** The committee picks a magnitude within [min, max] and must give a reason. */
export interface RangeRule {
  type: 'range';
  min: number;
  max: number;
}

/**
 * Quantity accumulates over the rating year; the year's total earns
 * floor(totalQuantity / unitSize) * pointsPerUnit. An entry scores what its quantity adds to
 * that total (so two 50-yuan donations make one 100-yuan unit). Cap through `caps.perYear`.
 */
export interface PerUnitRule {
  type: 'per_unit';
  unitSize: number;
  unitLabel: string; // e.g. '元'
  pointsPerUnit: number;
}

/**
 * Quantity (e.g. volunteer hours) accumulates over the rating year. `bands` are ascending by
 * `atLeast`; each band's `points` is the TOTAL the year has earned once the total quantity
 * reaches `atLeast` (10h → 2, 20h → 5, …). Crossing a band awards that band's points less what
 * earlier bands already gave.
 */
export interface CumulativeBandsRule {
  type: 'cumulative_bands';
  unitLabel: string; // e.g. '小时'
  bands: Array<{ atLeast: number; points: number }>;
}

/**
 * Occurrences within the rating year are numbered 1, 2, …; those before `threshold` are
 * recorded as 0-point warnings. With `scoreEach: true` the threshold-th and every later
 * occurrence scores `points`; with `scoreEach: false` only the threshold-th does.
 */
export interface RepeatThresholdRule {
  type: 'repeat_threshold';
  threshold: number;
  points: number;
  scoreEach: boolean;
}

export type Rule = FixedRule | RangeRule | PerUnitRule | CumulativeBandsRule | RepeatThresholdRule;
export type RuleType = Rule['type'];

/** Magnitude caps on one resident's points from one item. Month = period (YYYY-MM). */
export interface ItemCaps {
  perMonth?: number;
  perYear?: number;
}

/** What the rule engine needs of a catalogue item (one exact item version). */
export interface ScoringItem {
  code: string;
  sign: ItemSign;
  rule: Rule;
  caps?: ItemCaps;
}

/**
 * The resident's history for this item in the rating year BEFORE the period being evaluated,
 * counting only entries that still stand (not rejected, not withdrawn).
 */
export interface ItemYearHistory {
  quantity: number; // Σ quantity (per_unit, cumulative_bands)
  points: number; // Σ |points| awarded (for perYear caps)
  occurrences: number; // number of entries (repeat_threshold)
}

/** One entry of the period, as the engine sees it. */
export interface PeriodEntryInput {
  id: string; // stable id; ties on occurredOn are broken by id, never by typing order
  occurredOn: string; // YYYY-MM-DD
  quantity?: number | null; // per_unit, cumulative_bands
  chosenPoints?: number | null; // range only: the committee's magnitude
}

export interface Explanation {
  /** Stable machine code, e.g. 'FIXED', 'RANGE', 'BAND_CROSSED', 'BAND_NONE', 'PER_UNIT',
   * 'THRESHOLD_WARNING', 'THRESHOLD_SCORED', 'THRESHOLD_AFTER_ONCE', 'CAP_MONTH', 'CAP_YEAR'. */
  codes: string[];
  /** One sentence in Chinese saying why the entry scored what it did. */
  text: string;
}

export interface EntryScore {
  id: string;
  points: number; // signed integer
  explanation: Explanation;
}

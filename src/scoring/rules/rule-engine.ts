/**
 * The rule engine: the only place where catalogue rules turn into points (DESIGN.md §4.7).
 * Pure functions, no I/O, so that entry submission, `cycle.close` and the review sheet all
 * compute the same numbers from the same inputs.
 */
export { RuleInputError, MAX_ENTRY_QUANTITY } from './rule-common';
export { validateRule, assertValidRule } from './validate';
export type { EntryInputProblem } from './evaluate';
export { entryInputProblems, evaluatePeriod } from './evaluate';
export { explainRule, maxAwardPerYear } from './explain';

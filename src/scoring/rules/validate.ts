/** The rule engine (see ./rule-engine.ts): rule validation. */
import type { Rule, ScoringItem } from './rule.types.js';
import { MAX_ENTRY_QUANTITY, RuleInputError, toMicro } from './rule-common';

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const isPositiveInteger = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

const isPositiveFinite = (x: unknown): x is number =>
  typeof x === 'number' && Number.isFinite(x) && x > 0;

function validateRuleShape(rule: unknown): string[] {
  if (!isRecord(rule)) return ['rule must be an object'];
  const problems: string[] = [];
  const requirePositiveInteger = (field: string): void => {
    if (!isPositiveInteger(rule[field])) problems.push(`rule.${field} must be a positive integer`);
  };
  const requireLabel = (): void => {
    const label = rule['unitLabel'];
    if (typeof label !== 'string' || label.trim() === '') {
      problems.push('rule.unitLabel must be a non-empty string');
    }
  };

  switch (rule['type']) {
    case 'fixed':
      requirePositiveInteger('points');
      break;
    case 'range':
      requirePositiveInteger('min');
      requirePositiveInteger('max');
      if (isPositiveInteger(rule['min']) && isPositiveInteger(rule['max'])) {
        // min == max is a fixed rule in disguise and would still demand a reason from the meeting.
        if (rule['min'] >= rule['max']) problems.push('rule.min must be less than rule.max');
      }
      break;
    case 'per_unit': {
      const unitSize = rule['unitSize'];
      if (!isPositiveFinite(unitSize)) {
        problems.push('rule.unitSize must be a number greater than 0');
      } else if (toMicro(unitSize) === 0 || unitSize > MAX_ENTRY_QUANTITY) {
        problems.push(`rule.unitSize must be between 0.000001 and ${MAX_ENTRY_QUANTITY}`);
      }
      requireLabel();
      requirePositiveInteger('pointsPerUnit');
      break;
    }
    case 'cumulative_bands': {
      requireLabel();
      const bands = rule['bands'];
      if (!Array.isArray(bands) || bands.length === 0) {
        problems.push('rule.bands must be a non-empty array');
        break;
      }
      let previous: { atLeast: number; points: number } | undefined;
      bands.forEach((band: unknown, i: number) => {
        if (!isRecord(band)) {
          problems.push(`rule.bands[${i}] must be an object`);
          previous = undefined;
          return;
        }
        const atLeast = band['atLeast'];
        const points = band['points'];
        let ok = true;
        if (!isPositiveFinite(atLeast) || toMicro(atLeast) === 0) {
          // A band at 0 would be "reached" before any entry, so its points could never be awarded.
          problems.push(`rule.bands[${i}].atLeast must be a number greater than 0`);
          ok = false;
        }
        if (!isPositiveInteger(points)) {
          problems.push(`rule.bands[${i}].points must be a positive integer`);
          ok = false;
        }
        if (ok && isPositiveFinite(atLeast) && isPositiveInteger(points)) {
          if (previous !== undefined) {
            if (toMicro(atLeast) <= toMicro(previous.atLeast)) {
              problems.push(`rule.bands[${i}].atLeast must be greater than the previous band's`);
            }
            // Band points are year totals; a band not above the previous one would award ≤ 0.
            if (points <= previous.points) {
              problems.push(`rule.bands[${i}].points must be greater than the previous band's`);
            }
          }
          previous = { atLeast, points };
        } else {
          previous = undefined;
        }
      });
      break;
    }
    case 'repeat_threshold':
      requirePositiveInteger('threshold');
      requirePositiveInteger('points');
      if (typeof rule['scoreEach'] !== 'boolean') problems.push('rule.scoreEach must be a boolean');
      break;
    default:
      problems.push(`unknown rule type ${JSON.stringify(rule['type']) ?? 'undefined'}`);
  }
  return problems;
}

/** The smallest non-zero magnitude one entry can earn under a (valid) rule. */
function smallestAward(rule: Rule): number {
  switch (rule.type) {
    case 'fixed':
    case 'repeat_threshold':
      return rule.points;
    case 'range':
      return rule.min;
    case 'per_unit':
      return rule.pointsPerUnit;
    case 'cumulative_bands': {
      let smallest = Number.POSITIVE_INFINITY;
      let before = 0;
      for (const band of rule.bands) {
        smallest = Math.min(smallest, band.points - before);
        before = band.points;
      }
      return smallest;
    }
  }
}

/**
 * Problems with a catalogue rule and its caps (empty list = valid). Inputs are `unknown`
 * because catalogue versions arrive as JSON from admins and imports.
 */
export function validateRule(rule: unknown, caps?: unknown): string[] {
  const problems = validateRuleShape(rule);
  if (caps === undefined || caps === null) return problems;
  if (!isRecord(caps)) return [...problems, 'caps must be an object'];

  const capProblems: string[] = [];
  const capValues: Array<[string, number]> = [];
  for (const field of ['perMonth', 'perYear'] as const) {
    const value = caps[field];
    if (value === undefined || value === null) continue;
    if (!isPositiveInteger(value)) {
      capProblems.push(`caps.${field} must be a positive integer`);
    } else {
      capValues.push([field, value]);
    }
  }
  for (const key of Object.keys(caps)) {
    if (key !== 'perMonth' && key !== 'perYear') capProblems.push(`caps.${key} is not a known cap`);
  }
  if (problems.length === 0) {
    // A cap below the smallest award silently truncates every award: almost surely a typo.
    const smallest = smallestAward(rule as Rule);
    for (const [field, value] of capValues) {
      if (value < smallest) {
        capProblems.push(`caps.${field} (${value}) is smaller than the smallest award (${smallest})`);
      }
    }
  }
  return [...problems, ...capProblems];
}

export function assertValidRule(rule: unknown, caps?: unknown): asserts rule is Rule {
  const problems = validateRule(rule, caps);
  if (problems.length > 0) {
    throw new RuleInputError('CATALOG.INVALID_RULE', `invalid rule: ${problems.join('; ')}`, {
      problems,
    });
  }
}

export function assertValidItem(item: ScoringItem): void {
  // Items come from the database as JSON; the type system cannot vouch for them.
  const sign: unknown = item.sign;
  const problems = validateRule(item.rule, item.caps);
  if (sign !== 1 && sign !== -1) problems.unshift('sign must be 1 or -1');
  if (problems.length > 0) {
    throw new RuleInputError(
      'CATALOG.INVALID_RULE',
      `item ${item.code}: invalid rule: ${problems.join('; ')}`,
      { problems },
    );
  }
}

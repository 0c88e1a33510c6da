/** The rule engine (see ./rule-engine.ts): the shared error type, limits, quantity scale and formatting helpers. */
import type { ItemSign } from './rule.types.js';

export class RuleInputError extends Error {
  readonly code: string;
  /** The offending entry (when there is one) and the full problem list, for row-by-row reports. */
  readonly details?: { entryId?: string; problems?: string[] };

  // A plain field instead of a parameter property keeps the file valid under erasableSyntaxOnly.
  constructor(code: string, message: string, details?: { entryId?: string; problems?: string[] }) {
    super(message);
    this.name = 'RuleInputError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** Largest quantity one entry may carry (hours, yuan, …): catches typos such as 1e9 yuan. */
export const MAX_ENTRY_QUANTITY = 1_000_000;

/**
 * Quantities are summed and compared as integer micro-units: with plain floats ten entries of
 * 0.1 hour add up to 0.9999999999999999 and would miss the 1-hour mark the residents can see
 * they reached. Six decimals is far below any real-world hours/yuan precision.
 */
const QUANTITY_SCALE = 1_000_000;
export const toMicro = (quantity: number): number => Math.round(quantity * QUANTITY_SCALE);

export const fromMicro = (micro: number): number => micro / QUANTITY_SCALE;

const MINUS = '\u2212'; // typographic minus, as printed on the boards

export type Codes = string[];

const signChar = (sign: ItemSign): string => (sign === 1 ? '+' : MINUS);
export const signed = (sign: ItemSign, magnitude: number): string => `${signChar(sign)}${magnitude}`;
export const verbOf = (sign: ItemSign): string => (sign === 1 ? '加' : '扣');
export const formatQuantity = (micro: number): string => String(fromMicro(micro));

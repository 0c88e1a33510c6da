/** How deep a JSON body may nest (objects and arrays). Our deepest DTO is 3 levels. */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True when the raw JSON text nests deeper than `max`. A single pass over the bytes, no parse
 * and no recursion, so it is safe on hostile input: a 200 KB body of 100,000 `[` overflowed the
 * stack in class-transformer and the validation pipe (a 500 before login). Runs in the JSON body
 * parser (./json-body.ts) before JSON.parse and before any transformation sees the value. Brackets
 * inside strings do not count; malformed text is left for JSON.parse to refuse.
 */
export function jsonNestsDeeperThan(raw: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/** The JSON parser's refusal of a body that nests too deep (./json-body.ts); the global filter maps `type`. */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;

  constructor(readonly maxDepth: number) {
    super(`JSON nests deeper than ${maxDepth}`);
  }
}

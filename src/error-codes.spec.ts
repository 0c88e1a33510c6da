import { describe, expect, it } from 'vitest';
import { COMMON_ERRORS, ErrorCodeRegistry, errorEntry, registeredErrorCodes } from '@app/common/errors/error-codes';
import { ERROR_TABLES } from './error-codes';

describe('the error-code table (src/error-codes.ts)', () => {
  const all = ERROR_TABLES.flatMap((t) => Object.entries(t));

  it('has each code in exactly one table: a fresh registry takes all the tables at once', () => {
    const fresh = new ErrorCodeRegistry();
    expect(() => fresh.register(...ERROR_TABLES)).not.toThrow();
    expect(fresh.codes()).toHaveLength(all.length);
  });

  it('is what the process registered, code for code', () => {
    expect(registeredErrorCodes()).toEqual(all.map(([code]) => code).sort());
    for (const [code, entry] of all) expect(errorEntry(code as never), code).toEqual(entry);
    expect(registeredErrorCodes()).toEqual(expect.arrayContaining(Object.keys(COMMON_ERRORS)));
  });

  it('has well-formed codes, a 4xx/5xx status and a Chinese message with its English after a slash', () => {
    for (const code of registeredErrorCodes()) {
      const { status, message } = errorEntry(code);
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$/);
      expect([status >= 400 && status <= 599, code]).toEqual([true, code]);
      expect(message, code).toMatch(/^[^/]*\p{Script=Han}[^/]*\/ ?\S/u);
    }
  });
});

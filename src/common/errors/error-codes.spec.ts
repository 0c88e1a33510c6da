import { describe, expect, it } from 'vitest';
import { AppError } from './app-error';
import { ErrorCodeRegistry, errorEntry, isErrorCode, type ErrorCode } from './error-codes';

describe('ErrorCodeRegistry', () => {
  const A = { 'A.ONE': { status: 404, message: '甲 / one' }, 'A.TWO': { status: 409, message: '乙 / two' } };

  it('answers a registered code with its entry, and knows it', () => {
    const r = new ErrorCodeRegistry();
    r.register(A);
    expect(r.entry('A.TWO')).toEqual({ status: 409, message: '乙 / two' });
    expect(r.has('A.ONE')).toBe(true);
    expect(r.has('A.THREE')).toBe(false);
    expect(r.codes()).toEqual(['A.ONE', 'A.TWO']);
  });

  it('refuses one code in two tables registered together, even with the same entry', () => {
    const r = new ErrorCodeRegistry();
    expect(() => r.register(A, { 'A.ONE': { status: 404, message: '甲 / one' } })).toThrow(/A\.ONE is in two of the tables/);
    expect(r.codes()).toEqual([]);
  });

  it('refuses a code registered again with another status or message, and keeps the first', () => {
    const r = new ErrorCodeRegistry();
    r.register(A);
    expect(() => r.register({ 'A.ONE': { status: 400, message: '甲 / one' } })).toThrow(/A\.ONE registered twice/);
    expect(() => r.register({ 'A.TWO': { status: 409, message: '丙 / other' } })).toThrow(/A\.TWO registered twice/);
    expect(r.entry('A.ONE').status).toBe(404);
    // The same table again (the root module evaluated a second time) is harmless.
    expect(() => r.register(A)).not.toThrow();
  });

  it('refuses a registration with no code at all', () => {
    expect(() => new ErrorCodeRegistry().register()).toThrow(/no error code given/);
    expect(() => new ErrorCodeRegistry().register({}, {})).toThrow(/no error code given/);
  });

  it.each([
    [{ 'a.lower': { status: 400, message: '错 / bad' } }, /not of the form AREA\.WHAT/],
    [{ NODOT: { status: 400, message: '错 / bad' } }, /not of the form AREA\.WHAT/],
    [{ 'A.OK': { status: 200, message: '错 / bad' } }, /not a 4xx or 5xx/],
    [{ 'A.OK': { status: 400, message: ' ' } }, /has no message/],
  ])('refuses a malformed entry %o', (table, error) => {
    expect(() => new ErrorCodeRegistry().register(table)).toThrow(error);
  });

  it('throws for an unregistered code, saying what to import when nothing is registered', () => {
    expect(() => new ErrorCodeRegistry().entry('A.ONE')).toThrow(/A\.ONE is not registered: no error code is registered: load src\/error-codes\.ts \(@app\/error-codes\) first/);
    const r = new ErrorCodeRegistry();
    r.register(A);
    expect(() => r.entry('A.THREE')).toThrow(/A\.THREE is not registered: add it to its feature's \*\.errors\.ts/);
  });
});

describe('the process registry (filled by src/error-codes.ts in the test setup)', () => {
  it('builds an AppError with the status and message of its code', () => {
    const e = new AppError('SHOP.CODE_TAKEN');
    expect(e.status).toBe(errorEntry('SHOP.CODE_TAKEN').status);
    expect(e.message).toBe(errorEntry('SHOP.CODE_TAKEN').message);
    expect(new AppError('VALIDATION.FAILED', '自定义').message).toBe('自定义');
  });

  it('refuses an AppError whose code is not registered, instead of a status undefined', () => {
    // @ts-expect-error SHOP.NO_SUCH is not an error code: the table's type is a precise union
    expect(() => new AppError('SHOP.NO_SUCH')).toThrow(/SHOP\.NO_SUCH is not registered/);
    expect(() => errorEntry('NOPE.NOTHING' as ErrorCode)).toThrow(/not registered/);
  });

  it('tells registered codes from other strings', () => {
    expect(isErrorCode('ENTRY.RULE_INPUT_INVALID')).toBe(true);
    expect(isErrorCode('UPLOAD.INVALID_DATE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});

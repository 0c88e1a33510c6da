import { describe, expect, it } from 'vitest';
import { hashRequest, isUniqueViolation } from './idempotency';

describe('common/idempotency', () => {
  it('hashes a request canonically: key order and absent fields do not matter, values do', () => {
    expect(hashRequest({ a: 1, b: 'x' })).toBe(hashRequest({ b: 'x', a: 1, c: undefined, d: null }));
    expect(hashRequest({ a: 1 })).not.toBe(hashRequest({ a: 2 }));
  });

  it('tells a unique violation by code, constraint or key column, as pg and TypeORM throw it', () => {
    const pg = { code: '23505', constraint: 'uq_goods_shop_code', detail: 'Key (town_id, card_code)=(t, DC01) already exists.' };
    expect(isUniqueViolation(pg)).toBe(true);
    expect(isUniqueViolation({ driverError: pg })).toBe(true);
    expect(isUniqueViolation(pg, { constraint: 'uq_goods_shop_code' })).toBe(true);
    expect(isUniqueViolation(pg, { constraint: 'uq_goods_shop_barcode' })).toBe(false);
    expect(isUniqueViolation(pg, { column: 'card_code' })).toBe(true);
    expect(isUniqueViolation(pg, { column: 'id_hash' })).toBe(false);
    expect(isUniqueViolation({ code: '23503' })).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});

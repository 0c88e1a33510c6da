import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNationalId, hashNationalId, nationalIdCheckChar } from './national-id';

describe('national ID check (GB 11643, ISO 7064 MOD 11-2)', () => {
  it('accepts the published sample numbers, with X as check character', () => {
    expect(checkNationalId('11010519491231002X')).toEqual({ ok: true, id: '11010519491231002X', birthYear: 1949, gender: 'F', last4: '002X' });
    expect(checkNationalId('371502198001010018')).toMatchObject({ ok: true, birthYear: 1980, gender: 'M', last4: '0018' });
  });

  it('normalises a lower-case x, full-width digits and spaces', () => {
    expect(checkNationalId(' 11010519491231002x ')).toMatchObject({ ok: true, id: '11010519491231002X' });
    expect(checkNationalId('１１０１０５１９４９１２３１００２Ｘ')).toMatchObject({ ok: true, id: '11010519491231002X' });
  });

  it.each([
    ['110105194912310021', 'ID.CHECKSUM'],
    ['110105491231002', 'ID.LEGACY_15_DIGIT'],
    ['11010519491231002', 'ID.FORMAT'],
    ['1101051949123100X2', 'ID.FORMAT'],
    ['110105194902300027', 'ID.BIRTH_DATE'],
    ['110105289912310020', 'ID.BIRTH_DATE'],
    ['440524188001010014', 'ID.BIRTH_DATE'],
  ])('refuses %s with %s', (id, code) => {
    expect(checkNationalId(id)).toMatchObject({ ok: false, code });
  });

  it('every single-digit typo is caught by the check character', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
        const first17 = '11010519491231002';
        const typo = first17.slice(0, pos) + String((Number(first17[pos]) + delta) % 10) + first17.slice(pos + 1);
        return nationalIdCheckChar(typo) !== 'X';
      }),
    );
  });

  it('hash is keyed and case-insensitive; the number is not in it', () => {
    const a = hashNationalId('secret-one-0123456789', '11010519491231002X');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(hashNationalId('secret-one-0123456789', '11010519491231002x')).toBe(a);
    expect(hashNationalId('secret-two-0123456789', '11010519491231002X')).not.toBe(a);
  });
});

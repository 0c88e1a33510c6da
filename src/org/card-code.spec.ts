import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CARD_CODE_PATTERN } from '@app/common/http/field-decorators';
import { CARD_CODE_ALPHABET, generateCardCode } from './card-code';

describe('card codes', () => {
  it('are printable, match CARD_CODE_PATTERN and avoid 0/O/1/I/L in the random part', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9-]{0,12}$/), (villageCode) => {
        const code = generateCardCode(villageCode);
        const random = code.slice(-6);
        return CARD_CODE_PATTERN.test(code) && [...random].every((c) => CARD_CODE_ALPHABET.includes(c)) && !/[01OIL]/.test(random);
      }),
    );
  });

  it('start with the village code, upper-cased and cut to 8', () => {
    expect(generateCardCode('dc', () => 0)).toBe('DCAAAAAA');
    expect(generateCardCode('V-abcdef0123', () => 0)).toBe('VABCDEF0AAAAAA');
  });
});

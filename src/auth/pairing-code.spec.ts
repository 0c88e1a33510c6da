import { describe, expect, it } from 'vitest';
import { newPairingCode, normalizePairingCode, pairingCodeHash, PAIRING_ALPHABET } from './pairing-code';

describe('pairing codes', () => {
  it('are 8 characters of the alphabet, shown in two groups of four', () => {
    for (let i = 0; i < 200; i++) {
      const c = newPairingCode();
      expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(normalizePairingCode(c)).toBe(c.replace('-', ''));
    }
    expect(PAIRING_ALPHABET).toHaveLength(32);
  });

  it('read what a person types: any case, spaces and dashes, O for 0 and I or L for 1', () => {
    expect(normalizePairingCode(' abcd-ef01 ')).toBe('ABCDEF01');
    expect(normalizePairingCode('abcd efoi')).toBe('ABCDEF01');
    expect(normalizePairingCode('ABCDEFOL')).toBe('ABCDEF01');
  });

  it('refuse what cannot be a code', () => {
    expect(normalizePairingCode('ABCDEFG')).toBeNull();
    expect(normalizePairingCode('ABCDEFGHJ')).toBeNull();
    expect(normalizePairingCode('ABCDEFGU')).toBeNull();
    expect(normalizePairingCode('ABCD_EFG')).toBeNull();
    expect(normalizePairingCode('')).toBeNull();
  });

  it('hash the normalized code, so every way of typing it finds the same row', () => {
    expect(pairingCodeHash(normalizePairingCode('abcd-efoi') as string)).toBe(pairingCodeHash('ABCDEF01'));
    expect(pairingCodeHash('ABCDEF01')).not.toBe(pairingCodeHash('ABCDEF02'));
  });
});

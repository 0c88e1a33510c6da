import { randomInt } from 'node:crypto';
import { sha256 } from './api-key';

/**
 * Pairing codes: 8 characters of Crockford's base32 (no I, L, O, U), shown as `ABCD-EFGH`, so a
 * town admin can read one over the phone and a clerk can type it on a tablet. 32^8 ≈ 10^12
 * codes, a 10-minute life, single use and a per-address attempt limit make guessing hopeless.
 */
export const PAIRING_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const PAIRING_CODE_LENGTH = 8;
/** How long a pairing code can be used after it is made. */
export const PAIRING_CODE_TTL_MINUTES = 10;

export function newPairingCode(): string {
  let s = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) s += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

/**
 * What a person typed, as the code it means: any case, spaces and dashes ignored, and the letters
 * people confuse with digits read as those digits (O → 0, I/L → 1), as Crockford's base32 does.
 * Null when it cannot be a code.
 */
export function normalizePairingCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== PAIRING_CODE_LENGTH) return null;
  for (const ch of s) if (!PAIRING_ALPHABET.includes(ch)) return null;
  return s;
}

/** Only this is stored. */
export function pairingCodeHash(normalized: string): string {
  return sha256(`pairing:${normalized}`);
}

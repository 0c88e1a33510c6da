import { randomInt } from 'node:crypto';

// No 0/O, 1/l/I: read off a screen and typed in by hand.
const PASSWORD_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** 4 groups of 4 from a 55-letter alphabet: ≈ 92 bits. For a first login or a reset; changed at once. */
export function oneTimePassword(): string {
  const groups = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join(''));
  return groups.join('-');
}

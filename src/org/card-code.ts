import { randomInt } from 'node:crypto';

/**
 * Shop card codes are read aloud and typed at the counter, so the random part leaves out the
 * characters people confuse (0/O, 1/I/L). The village prefix tells the clerk where a card is from.
 */
export const CARD_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CARD_CODE_RANDOM_LENGTH = 6;
const MAX_PREFIX = 8;

export function cardCodePrefix(villageCode: string): string {
  return villageCode.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, MAX_PREFIX);
}

/** `pick(n)` returns an integer in [0, n): crypto by default, a seeded generator for demo data. */
export function generateCardCode(villageCode: string, pick: (n: number) => number = randomInt): string {
  let random = '';
  for (let i = 0; i < CARD_CODE_RANDOM_LENGTH; i++) random += CARD_CODE_ALPHABET[pick(CARD_CODE_ALPHABET.length)];
  return cardCodePrefix(villageCode) + random;
}

/**
 * Masks a resident's name for anything public (the board, 红黑榜, receipts on screen).
 *
 * Rules, in code points (Array.from, so names with CJK Extension B characters such as 𠮷 are not
 * split into surrogate halves):
 * - A name in one piece (the usual Chinese name): keep the first character, and the last one
 *   when there are three or more; star the rest. 张三 → 张*, 李小明 → 李*明, 欧阳娜娜 → 欧**娜,
 *   a single character → *. Keeping the surname plus the last character is the common practice
 *   on Chinese public notices and lets neighbours tell two 张s apart without naming them.
 * - A name in several pieces, split by spaces, middle dots (维吾尔族 names: 买买提·艾力) or hyphens:
 *   each piece keeps only its first character. John Smith → J*** S****, 买买提·艾力 → 买**·艾*.
 *   Revealing a last letter as well would give away too much of short Latin names.
 * - A one-piece name that is not written in Han characters (e.g. Madonna) follows the same
 *   initial-only rule: M******.
 * Leading/trailing whitespace is trimmed and inner runs of whitespace become one space; the
 * masked name keeps the length of the (trimmed) name, as the notices do. An empty name stays ''.
 */

const SEPARATOR = /[\s·•‧・-]/u;
const SEPARATORS_SPLIT = /([\s·•‧・-]+)/u;
const HAN = /^\p{Script=Han}+$/u;
const STAR = '*';

function maskPiece(chars: string[], keepLast: boolean): string {
  if (chars.length <= 1) return STAR.repeat(chars.length);
  const first = chars[0] ?? '';
  if (keepLast && chars.length >= 3) {
    return first + STAR.repeat(chars.length - 2) + (chars[chars.length - 1] ?? '');
  }
  return first + STAR.repeat(chars.length - 1);
}

export function maskName(name: string): string {
  const normalised = name.trim().replace(/\s+/gu, ' ');
  if (normalised === '') return '';

  if (!SEPARATOR.test(normalised)) {
    const chars = Array.from(normalised);
    return maskPiece(chars, HAN.test(normalised));
  }

  // A single-character piece would be exposed in full by the initial rule ("J Smith"); it is
  // starred like a one-character name instead.
  return normalised
    .split(SEPARATORS_SPLIT)
    .map((part) => (SEPARATOR.test(part) ? part : maskPiece(Array.from(part), false)))
    .join('');
}

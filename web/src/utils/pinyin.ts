/**
 * Pinyin initials of Han characters without a dictionary: Chinese collation (ICU, in every
 * browser) sorts Han characters by pinyin, so the first character of each initial letter is a
 * boundary, and a character's initial is the last boundary not after it. Right for common
 * given names and surnames; a rare polyphone may come out with its other reading. Costs nothing
 * in the bundle (a pinyin dictionary would be ~300 KB).
 */
const BOUNDARIES: Array<[string, string]> = [
  ['a', '阿'], ['b', '八'], ['c', '嚓'], ['d', '哒'], ['e', '妸'], ['f', '发'], ['g', '旮'], ['h', '哈'],
  ['j', '讥'], ['k', '咔'], ['l', '垃'], ['m', '妈'], ['n', '拏'], ['o', '噢'], ['p', '妑'], ['q', '七'],
  ['r', '呥'], ['s', '仨'], ['t', '他'], ['w', '屲'], ['x', '夕'], ['y', '丫'], ['z', '帀'],
];
const collator = new Intl.Collator('zh-Hans-CN-u-co-pinyin');
const HAN = /[\u4e00-\u9fff]/;
const cache = new Map<string, string>();

export function initialOf(ch: string): string {
  if (!HAN.test(ch)) return ch.toLowerCase();
  let found = '';
  for (const [letter, first] of BOUNDARIES) {
    if (collator.compare(ch, first) >= 0) found = letter;
    else break;
  }
  return found || ch;
}

/** 王建国 → wjg */
export function initials(text: string): string {
  let hit = cache.get(text);
  if (hit === undefined) {
    hit = [...text].map(initialOf).join('');
    cache.set(text, hit);
  }
  return hit;
}

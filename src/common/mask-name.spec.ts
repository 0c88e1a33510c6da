import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { maskName } from './mask-name.js';

const codePoints = (s: string): string[] => Array.from(s);

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['李小明', '李*明'],
    ['欧阳娜娜', '欧**娜'],
    ['司马相如', '司**如'],
    ['王', '*'],
    ['爱新觉罗溥仪', '爱****仪'],
  ])('masks the Chinese name %s as %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it.each([
    ['John Smith', 'J*** S****'],
    ['Jean-Pierre Dupont', 'J***-P***** D*****'],
    ['Madonna', 'M******'],
    ['J Smith', '* S****'],
    ['买买提·艾力', '买**·艾*'],
  ])('masks the name in pieces %s as %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });

  it('trims and collapses inner whitespace', () => {
    expect(maskName('  张三 ')).toBe('张*');
    expect(maskName(' John \t  Smith ')).toBe('J*** S****');
  });

  it('keeps an empty name empty', () => {
    expect(maskName('')).toBe('');
    expect(maskName('   ')).toBe('');
  });

  it('treats a CJK Extension B character as one character, not two surrogate halves', () => {
    // 𠮷 is U+20BB7, two UTF-16 code units.
    expect(maskName('𠮷野家')).toBe('𠮷*家');
    expect(maskName('李𠮷')).toBe('李*');
    expect(maskName('𠮷')).toBe('*');
    const masked = maskName('王𠮷明');
    expect(masked).toBe('王*明');
    expect(masked).not.toMatch(/[\uD800-\uDFFF]/u);
  });

  // Common surname characters and given-name characters, so generated names look like real ones.
  const arbHan = fc.constantFrom(...codePoints('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗明华建国秀英丽娜伟芳军平𠮷'));
  const arbHanName = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
    fc.array(arbHan, { minLength, maxLength }).map((chars) => chars.join(''));

  it('keeps the length in code points of CJK names of 2–4 characters', () => {
    fc.assert(
      fc.property(arbHanName(2, 4), (name) => {
        expect(codePoints(maskName(name))).toHaveLength(codePoints(name).length);
      }),
    );
  });

  it('never shows the given name of a 2-character name', () => {
    fc.assert(
      fc.property(arbHanName(2, 2), (name) => {
        const [surname, given] = codePoints(name);
        const masked = maskName(name);
        expect(masked).toBe(`${surname}*`);
        if (given !== surname) expect(masked).not.toContain(given);
      }),
    );
  });

  it('shows only the first and last characters of longer CJK names', () => {
    fc.assert(
      fc.property(arbHanName(3, 8), (name) => {
        const chars = codePoints(name);
        const masked = codePoints(maskName(name));
        expect(masked[0]).toBe(chars[0]);
        expect(masked[masked.length - 1]).toBe(chars[chars.length - 1]);
        expect(masked.slice(1, -1).every((c) => c === '*')).toBe(true);
      }),
    );
  });

  it('reveals at most the first character of each piece of a non-Chinese name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }), (name) => {
        const normalised = codePoints(name.trim().replace(/\s+/gu, ' '));
        const masked = codePoints(maskName(name));
        expect(masked).toHaveLength(normalised.length);
        const isSeparator = (c: string | undefined): boolean => c !== undefined && /[\s·•‧・-]/u.test(c);
        masked.forEach((c, i) => {
          const original = normalised[i];
          if (isSeparator(original)) {
            expect(c).toBe(original);
          } else if (c !== '*') {
            // Only a piece's first character may show.
            expect(i === 0 || isSeparator(normalised[i - 1])).toBe(true);
            expect(c).toBe(original);
          }
        });
      }),
    );
  });
});

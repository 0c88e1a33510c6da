import { crc32, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Combine, deflatePiece, gzipOfPieces, inflatePiece } from './gzip-pieces';

describe('crc32Combine', () => {
  it('is the CRC-32 of the concatenation, from the two CRCs and the second length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
      }),
      { numRuns: 300 },
    );
  });

  it('over long lengths too (a board piece is ~256 KB)', () => {
    const a = Buffer.from('公示'.repeat(1000));
    const b = Buffer.alloc(700_001, 'x');
    expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
  });
});

describe('gzipOfPieces', () => {
  it('inflates (zlib gunzip, which checks the CRC and length) to the pieces in order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 500 }).map((s) => new TextEncoder().encode(s.repeat(5)))), { maxLength: 8 }), (parts) => {
        const pieces = parts.map((p) => deflatePiece(Buffer.from(p)));
        expect(gunzipSync(gzipOfPieces(pieces)).equals(Buffer.concat(parts))).toBe(true);
        for (const [i, p] of pieces.entries()) expect(inflatePiece(p).equals(Buffer.from(parts[i]))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a wrong CRC in a piece is caught by the reader', () => {
    const p = deflatePiece(Buffer.from('信义积分'));
    expect(() => gunzipSync(gzipOfPieces([{ ...p, crc: (p.crc ^ 1) >>> 0 }]))).toThrow();
  });
});

import { constants, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * A gzip file put together from pieces compressed on their own, as pigz does: each piece is a raw
 * deflate stream that ends on a byte boundary without a final block (Z_SYNC_FLUSH), the last
 * one ends with the final block, and no piece refers back into another, so their concatenation is
 * one valid deflate stream. Any gzip reader (browsers, curl, zlib) inflates it to the pieces'
 * bytes in order. What makes it worth it: a piece compressed once (at publish) is sent as stored
 * on every later answer, and only what changed is compressed again (the public board: about 13 ms
 * of deflate for 1.6 MB, against a copy).
 */
export interface DeflatedPiece {
  /** Raw deflate, ended by a sync flush (not final): see deflatePiece. */
  readonly z: Buffer;
  /** The uncompressed length in bytes. */
  readonly n: number;
  /** CRC-32 of the uncompressed bytes. */
  readonly crc: number;
}

/** The level of the board's gzip before it was kept in pieces (zlib's default). */
const LEVEL = 6;

/** `plain` as one piece: compressed on its own, at LEVEL, ending with a sync flush. */
export function deflatePiece(plain: Buffer): DeflatedPiece {
  return { z: deflateRawSync(plain, { level: LEVEL, finishFlush: constants.Z_SYNC_FLUSH }), n: plain.length, crc: crc32(plain) };
}

/** The bytes of a piece again. */
export function inflatePiece(piece: Pick<DeflatedPiece, 'z'>): Buffer {
  return inflateRawSync(piece.z, { finishFlush: constants.Z_SYNC_FLUSH });
}

// gzip: magic, deflate, no flags, no mtime (0, as zlib's gzip writes it), no extra flags, OS unix.
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** An empty final deflate block (fixed Huffman, end of block only): closes a stream of sync-flushed pieces. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/** One gzip file of the pieces, in order: their concatenated bytes inflate from it. */
export function gzipOfPieces(pieces: readonly DeflatedPiece[]): Buffer {
  let crc = 0;
  let n = 0;
  for (const p of pieces) {
    crc = crc32Combine(crc, p.crc, p.n);
    n += p.n;
  }
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  // ISIZE: the length modulo 2^32 (RFC 1952).
  trailer.writeUInt32LE(n % 0x1_0000_0000, 4);
  return Buffer.concat([HEADER, ...pieces.map((p) => p.z), FINAL_EMPTY_BLOCK, trailer]);
}

/*
 * CRC-32 of A‖B from crc(A), crc(B) and len(B), without the bytes: zlib's crc32_combine
 * (multiplication modulo the CRC polynomial, and x^(8·len) by squaring). Node's zlib has crc32
 * but not its combine.
 */
const POLY = 0xedb88320;

/** a·b modulo the polynomial (bit-reflected, as CRC-32 is). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31. */
const X2N: number[] = (() => {
  const t = [0x40000000];
  for (let k = 1; k < 32; k++) t.push(multModP(t[k - 1], t[k - 1]));
  return t;
})();

/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000;
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31], p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  return (multModP(x2nModP(lenB, 3), crcA) ^ crcB) >>> 0;
}

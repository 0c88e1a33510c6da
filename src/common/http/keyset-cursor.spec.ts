import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, page } from './keyset-cursor';

describe('keyset cursor', () => {
  it('round-trips a position and keeps microseconds', () => {
    const p = { at: '2026-03-05T01:02:03.123456Z', id: '9007199254740993' };
    expect(decodeCursor(encodeCursor(p))).toEqual(p);
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuses anything it did not make with VALIDATION.FAILED', () => {
    for (const bad of ['', 'abc', Buffer.from('["x","1"]').toString('base64url'), Buffer.from('["2026-03-05T01:02:03.123456Z","1;drop"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(() => decodeCursor(bad), bad).toThrow(expect.objectContaining({ code: 'VALIDATION.FAILED' }));
    }
  });

  it('pages rows read with limit + 1', () => {
    const rows = [1, 2, 3].map((i) => ({ id: String(i), cursorAt: `2026-03-05T00:00:0${i}.000000Z`, v: i }));
    const p = page(rows, 2);
    expect(p.items).toEqual([{ id: '1', v: 1 }, { id: '2', v: 2 }]);
    expect(decodeCursor(p.nextCursor ?? undefined)).toEqual({ at: '2026-03-05T00:00:02.000000Z', id: '2' });
    expect(page(rows, 3).nextCursor).toBeNull();
  });
});

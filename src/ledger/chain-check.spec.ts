import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainChecker, partitionAccounts, type ChainRow, type ProjectionOfAccount } from './chain-check';
import { GENESIS_HASH, isoOfPgUtcTimestamp, postingHash, postingHashOfText, type HashedPostingFields } from './posting-hash';

const A = '0b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e01';
const B = '1b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e02';
const TOWN = 'town:1c2d3e4f-0000-4000-8000-000000000002';

/** A chain of `n` postings as the ledger writes them, and as PostgreSQL prints them (UTC text). */
function chain(accountId: string, n: number, year = 2026): { rows: ChainRow[]; head: string; balance: number } {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  let balance = 0;
  for (let seq = 1; seq <= n; seq++) {
    const postedAt = new Date(Date.UTC(year, 3, 10, 2, 3, 4, seq * 10));
    const p: HashedPostingFields = { accountId, seq, kind: 'deed', points: seq, sourceRef: `entry:${accountId}:${seq}`, counterparty: TOWN, period: `${year}-03`, itemCode: 'T01', memo: null, postedAt, prevHash: prev };
    const hash = postingHash(p);
    // PostgreSQL drops trailing zeros of the fraction: .010 prints as .01.
    const text = postedAt.toISOString().replace('T', ' ').replace(/\.?0*Z$/, '+00');
    rows.push([accountId, String(seq), 'deed', String(seq), p.sourceRef, TOWN, p.period, 'T01', null, text, prev, hash]);
    prev = hash;
    balance += seq;
  }
  return { rows, head: prev, balance };
}

const projection = (accountId: string, c: { head: string; balance: number }, seq: number, base = 1000): ProjectionOfAccount => ({
  accountId,
  balance: c.balance,
  creditScore: base + c.balance,
  ratingYear: 2026,
  seq,
  headHash: c.head,
});

describe('isoOfPgUtcTimestamp', () => {
  it('gives the ISO string of a Date of the same instant, whatever the fraction PostgreSQL printed', () => {
    expect(isoOfPgUtcTimestamp('2026-04-10 02:03:04+00')).toBe('2026-04-10T02:03:04.000Z');
    expect(isoOfPgUtcTimestamp('2026-04-10 02:03:04.5+00')).toBe('2026-04-10T02:03:04.500Z');
    expect(isoOfPgUtcTimestamp('2026-04-10 02:03:04.567+00')).toBe('2026-04-10T02:03:04.567Z');
    // Microseconds are truncated, as node-postgres's Date parsing does.
    expect(isoOfPgUtcTimestamp('2026-04-10 02:03:04.567999+00')).toBe('2026-04-10T02:03:04.567Z');
    // Another shape goes through Date.
    expect(isoOfPgUtcTimestamp('2026-04-10T10:03:04.567+08:00')).toBe('2026-04-10T02:03:04.567Z');
  });

  it('round-trips every millisecond instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
        const iso = new Date(ms).toISOString();
        const text = iso.replace('T', ' ').replace(/\.?0*Z$/, '+00');
        expect(isoOfPgUtcTimestamp(text)).toBe(iso);
      }),
    );
  });
});

describe('postingHashOfText', () => {
  it('is postingHash of the same fields', () => {
    const p: HashedPostingFields = { accountId: A, seq: 3, kind: 'redemption', points: -7, sourceRef: 'redemption:x', counterparty: TOWN, period: '2026-05', itemCode: null, memo: '兑换 "油"', postedAt: new Date('2026-05-01T00:00:00.001Z'), prevHash: GENESIS_HASH };
    expect(postingHashOfText(A, 3, 'redemption', -7, 'redemption:x', TOWN, '2026-05', null, '兑换 "油"', '2026-05-01T00:00:00.001Z', GENESIS_HASH)).toBe(postingHash(p));
  });
});

describe('ChainChecker', () => {
  it('passes intact chains fed in any chunking, and an account without postings', () => {
    const a = chain(A, 5);
    const b = chain(B, 3);
    const empty = '2b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e03';
    const checker = new ChainChecker([projection(A, a, 5), projection(B, b, 3), { accountId: empty, balance: 0, creditScore: 1000, ratingYear: 2026, seq: 0, headHash: GENESIS_HASH }], 1000);
    const all = [...a.rows, ...b.rows];
    checker.add(all.slice(0, 4));
    checker.add(all.slice(4, 6));
    checker.add(all.slice(6));
    expect(checker.finish()).toEqual([]);
    expect(checker.postingsChecked).toBe(8);
  });

  it('names the first broken link per account: changed points, a gap, a lost tail, a wrong balance', () => {
    const a = chain(A, 4);
    a.rows[1] = [...a.rows[1]];
    a.rows[1][3] = '500';
    const b = chain(B, 4);
    const gapped = b.rows.filter((r) => r[1] !== '3');
    const c = chain('2b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e03', 3);
    const d = chain('3b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e04', 2);
    const checker = new ChainChecker(
      [
        projection(A, a, 4),
        projection(B, b, 4),
        projection(c.rows[0][0], c, 3),
        { ...projection(d.rows[0][0], d, 2), balance: d.balance + 1 },
      ],
      1000,
    );
    checker.add([...a.rows, ...gapped, ...c.rows.slice(0, 2), ...d.rows]);
    const broken = checker.finish();
    expect(broken.map((x) => [x.accountId, x.seq, x.problem])).toEqual([
      [A, 2, 'hash_mismatch'],
      [B, 3, 'seq_gap'],
      [c.rows[0][0], 3, 'seq_mismatch'],
      [d.rows[0][0], 2, 'balance_mismatch'],
    ]);
  });

  it('refuses a posting of an account outside its partition', () => {
    const checker = new ChainChecker([], 1000);
    expect(() => checker.add(chain(A, 1).rows)).toThrow(/outside the partition/);
  });
});

describe('partitionAccounts', () => {
  it('keeps every account once, in order, in contiguous parts of about equal postings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), (seqs, parts, max) => {
        const accounts = seqs.map((seq, i) => ({ id: i, seq }));
        const out = partitionAccounts(accounts, parts, max);
        expect(out.flat()).toEqual(accounts);
        for (const p of out) expect(p.length).toBeGreaterThan(0);
        for (const p of out) expect(p.length).toBeLessThanOrEqual(max);
        if (max >= accounts.length && accounts.length) expect(out.length).toBeLessThanOrEqual(parts);
      }),
    );
  });
});

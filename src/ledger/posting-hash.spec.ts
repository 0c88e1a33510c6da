import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPosting, checkpointHash, GENESIS_HASH, postingHash, type HashedPostingFields } from './posting-hash';

const base: HashedPostingFields = {
  accountId: '0b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e01',
  seq: 1,
  kind: 'deed',
  points: 5,
  sourceRef: 'entry:7f1d2c3e-0000-4000-8000-000000000001',
  counterparty: 'town:1c2d3e4f-0000-4000-8000-000000000002',
  period: '2026-03',
  itemCode: 'T01',
  memo: null,
  postedAt: new Date('2026-04-10T02:03:04.567Z'),
  prevHash: GENESIS_HASH,
};

describe('postingHash', () => {
  it('hashes the documented canonical JSON array (the example in docs/LEDGER.md)', () => {
    const canonical = canonicalPosting(base);
    expect(canonical).toBe(
      '["xinyi-posting-v1","0b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e01",1,"deed",5,"entry:7f1d2c3e-0000-4000-8000-000000000001",' +
        '"town:1c2d3e4f-0000-4000-8000-000000000002","2026-03","T01",null,"2026-04-10T02:03:04.567Z",' +
        '"0000000000000000000000000000000000000000000000000000000000000000"]',
    );
    expect(postingHash(base)).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'));
    // Known answer: pinned so an accidental change of the encoding breaks this test, not old chains.
    expect(postingHash(base)).toBe('bda8528a4697e65954dd534d8ae2d05108a2b1266b54bb1c709c0948c350f732');
  });

  it('treats an absent item code or memo as null', () => {
    const { itemCode: _i, memo: _m, ...rest } = base;
    expect(postingHash(rest)).toBe(postingHash({ ...base, itemCode: null }));
  });

  it('changes when any hashed field changes', () => {
    const h = postingHash(base);
    const variants: Array<Partial<HashedPostingFields>> = [
      { accountId: '0b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e02' },
      { seq: 2 },
      { kind: 'correction' },
      { points: -5 },
      { sourceRef: 'entry:x' },
      { counterparty: 'shop:1c2d3e4f-0000-4000-8000-000000000002' },
      { period: '2026-04' },
      { itemCode: 'T02' },
      { memo: '' },
      { postedAt: new Date(base.postedAt.getTime() + 1) },
      { prevHash: 'f'.repeat(64) },
    ];
    for (const v of variants) expect(postingHash({ ...base, ...v }), JSON.stringify(v)).not.toBe(h);
  });

  it('cannot be fooled by moving text between fields (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        return postingHash({ ...base, sourceRef: a, memo: b }) !== postingHash({ ...base, sourceRef: c, memo: d });
      }),
    );
  });
});

describe('checkpointHash', () => {
  const heads = [
    { accountId: 'b', seq: 3, headHash: '1'.repeat(64) },
    { accountId: 'a', seq: 1, headHash: '2'.repeat(64) },
  ];

  it('does not depend on the order heads are given in', () => {
    expect(checkpointHash('v', '2026-03', heads)).toBe(checkpointHash('v', '2026-03', [...heads].reverse()));
  });

  it('covers village, period and every head', () => {
    const h = checkpointHash('v', '2026-03', heads);
    expect(checkpointHash('w', '2026-03', heads)).not.toBe(h);
    expect(checkpointHash('v', '2026-04', heads)).not.toBe(h);
    expect(checkpointHash('v', '2026-03', [{ ...heads[0], seq: 4 }, heads[1]])).not.toBe(h);
    expect(checkpointHash('v', '2026-03', [heads[0], { ...heads[1], headHash: '3'.repeat(64) }])).not.toBe(h);
    expect(h).toBe(
      createHash('sha256')
        .update(JSON.stringify(['xinyi-checkpoint-v1', 'v', '2026-03', [['a', 1, '2'.repeat(64)], ['b', 3, '1'.repeat(64)]]]))
        .digest('hex'),
    );
  });

  it('refuses an account listed twice', () => {
    expect(() => checkpointHash('v', '2026-03', [heads[0], heads[0]])).toThrow(/twice/);
  });
});

import { describe, expect, it } from 'vitest';
import type { PostedPosting } from '@app/ledger/ledger.types';
import { postingNotices } from './posting-notices';

const posting = (id: string, accountId: string, seq: number, points: number, balanceAfter: number, creditScoreAfter: number): PostedPosting => ({
  id,
  accountId,
  seq,
  points,
  balanceAfter,
  creditScoreAfter,
  townId: 't',
  villageId: 'v',
  kind: 'deed',
  sourceRef: `entry:${id}`,
  counterparty: 'town:t',
  period: '2026-11',
  itemCode: null,
  memo: null,
  postedAt: new Date(0),
  prevHash: '',
  hash: '',
});

describe('notices of a posting batch', () => {
  it('one per resident: added and deducted summed apart, balance after the last posting, keyed by the first', () => {
    const out = postingNotices(
      [posting('100', 'a', 4, 5, 5, 1005), posting('101', 'b', 1, -10, -10, 990), posting('102', 'a', 5, -20, -15, 985), posting('103', 'a', 6, 0, -15, 985)],
      [],
    );
    expect(out).toEqual([
      { residentId: 'a', kind: 'points_posted', sourceKey: 'posted:100', data: { period: '2026-11', gained: 5, lost: -20, count: 3, balance: -15 } },
      { residentId: 'b', kind: 'points_posted', sourceKey: 'posted:101', data: { period: '2026-11', gained: 0, lost: -10, count: 1, balance: -10 } },
    ]);
  });

  it('a grade change beside the points, with the score after the batch', () => {
    const out = postingNotices([posting('9', 'a', 1, 40, 40, 1040), posting('10', 'a', 2, -5, 35, 1035)], [{ accountId: 'a', from: 'A', to: 'AA' }]);
    expect(out[1]).toEqual({ residentId: 'a', kind: 'grade_changed', sourceKey: 'grade:9', data: { from: 'A', to: 'AA', creditScore: 1035 } });
  });

  it('compares ids as numbers (id 9 comes before id 10), whatever the order of the batch', () => {
    expect(postingNotices([posting('10', 'a', 2, 1, 2, 1002), posting('9', 'a', 1, 1, 1, 1001)], [])[0].sourceKey).toBe('posted:9');
  });

  it('nothing for an empty batch, and no grade notice without a posting of that account', () => {
    expect(postingNotices([], [{ accountId: 'a', from: 'A', to: 'B' }])).toEqual([]);
  });
});

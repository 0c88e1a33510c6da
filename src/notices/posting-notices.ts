import type { GradeChange, PostedPosting } from '@app/ledger/ledger.types';
import type { NoticeKind } from './templates';

export interface NewNotice {
  residentId: string;
  kind: NoticeKind;
  sourceKey: string;
  data: Record<string, unknown>;
}

/**
 * One "points posted" notice per account of a batch, keyed by the batch's first posting of that
 * account (so recording the same batch twice is a no-op), and a "grade changed" beside it.
 */
export function postingNotices(postings: PostedPosting[], gradeChanges: GradeChange[]): NewNotice[] {
  const byAccount = new Map<string, { first: PostedPosting; last: PostedPosting; gained: number; lost: number; count: number }>();
  for (const p of postings) {
    const a = byAccount.get(p.accountId);
    if (!a) {
      byAccount.set(p.accountId, { first: p, last: p, gained: Math.max(p.points, 0), lost: Math.min(p.points, 0), count: 1 });
      continue;
    }
    if (BigInt(p.id) < BigInt(a.first.id)) a.first = p;
    if (p.seq > a.last.seq) a.last = p;
    a.gained += Math.max(p.points, 0);
    a.lost += Math.min(p.points, 0);
    a.count += 1;
  }
  const out: NewNotice[] = [];
  for (const [accountId, a] of byAccount) {
    out.push({ residentId: accountId, kind: 'points_posted', sourceKey: `posted:${a.first.id}`, data: { period: a.last.period, gained: a.gained, lost: a.lost, count: a.count, balance: a.last.balanceAfter } });
  }
  for (const g of gradeChanges) {
    const a = byAccount.get(g.accountId);
    if (!a) continue;
    out.push({ residentId: g.accountId, kind: 'grade_changed', sourceKey: `grade:${a.first.id}`, data: { from: g.from, to: g.to, creditScore: a.last.creditScoreAfter } });
  }
  return out;
}

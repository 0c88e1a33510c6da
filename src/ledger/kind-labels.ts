import type { PostingKind } from './ledger.entities';

/** A posting kind in Chinese, as statements, exports and the console show it. */
export const KIND_LABELS: Record<PostingKind, string> = {
  deed: '积分事项',
  redemption: '兑换',
  redemption_void: '兑换撤销',
  correction: '更正',
  opening_balance: '期初余额',
  expiry: '年度清零',
};

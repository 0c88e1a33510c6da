import { SHANGHAI_OFFSET_MS } from '@app/common/time';

/**
 * The Chinese texts of the notices. A text with any Chinese character is sent as UCS-2, where
 * one SMS segment holds 70 characters (UTF-16 units, which is what String.length counts), the
 * signature included. Every SMS is kept to one segment: the free-text parts (item, shop, grade
 * names) are shortened with "…" until it fits. The resident's page shows the full text.
 */
export const SMS_SEGMENT_CHARS = 70;
export const SMS_SIGNATURE = '【信义积分】';

export const NOTICE_KINDS = ['breach_published', 'points_posted', 'grade_changed', 'objection_answered', 'redemption'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** What each kind stores (notices.data), written by the SQL that records it. */
export interface NoticeData {
  /** An approved breach entry about the resident went up on the board (0 points: a warning). */
  breach_published: { itemName: string; points: number; period: string; windowEndsAt: string };
  /** Deed postings of one batch (a finalize, or entries posted after an objection was dismissed). */
  points_posted: { period: string; gained: number; lost: number; count: number; balance: number };
  grade_changed: { from: string; to: string; creditScore: number };
  objection_answered: { itemName: string; period: string; outcome: 'upheld' | 'dismissed' };
  redemption: { shopName: string; points: number; balance: number; receiptNo: string };
}

export const NOTICE_KIND_LABELS: Record<NoticeKind, string> = {
  breach_published: '失信记录公示',
  points_posted: '积分入账',
  grade_changed: '等级变动',
  objection_answered: '异议答复',
  redemption: '兑换',
};

/**
 * A part of a message: fixed text, a free-text field that may be shortened (never below `min`),
 * or a detail that is left out when even the shortened message is too long.
 */
type Part = string | { flex: string; min: number } | { optional: string };

/** '2026-02' → '2026年2月'. */
export function periodText(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  return m ? `${m[1]}年${Number(m[2])}月` : period;
}

/** An instant as 'M月D日' in Asia/Shanghai. */
export function shanghaiDayText(iso: string): string {
  const d = new Date(new Date(iso).getTime() + SHANGHAI_OFFSET_MS);
  return Number.isNaN(d.getTime()) ? iso : `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
}

function parts(kind: NoticeKind, data: Record<string, unknown>): Part[] {
  const text = (v: unknown) => String(v ?? '');
  const num = (v: unknown) => Math.trunc(Number(v) || 0);
  switch (kind) {
    case 'breach_published': {
      const d = data as NoticeData['breach_published'];
      const points = num(d.points);
      const effect = points < 0 ? `，扣${-points}分` : points > 0 ? `，${points}分` : '（警告，暂不扣分）';
      return [`您${periodText(text(d.period))}的失信记录已公示：`, { flex: text(d.itemName), min: 4 }, `${effect}。如有异议请于${shanghaiDayText(text(d.windowEndsAt))}前提出。`];
    }
    case 'points_posted': {
      const d = data as NoticeData['points_posted'];
      const moves = [num(d.gained) ? `加${num(d.gained)}分` : '', num(d.lost) ? `扣${Math.abs(num(d.lost))}分` : ''].filter(Boolean).join('，') || '积分不变';
      return [`您${periodText(text(d.period))}的积分已入账：${moves}，现可用${num(d.balance)}分。`];
    }
    case 'grade_changed': {
      const d = data as NoticeData['grade_changed'];
      return ['您的信用等级由', { flex: text(d.from), min: 2 }, '调整为', { flex: text(d.to), min: 2 }, `，信用分${num(d.creditScore)}。`];
    }
    case 'objection_answered': {
      const d = data as NoticeData['objection_answered'];
      const result = d.outcome === 'upheld' ? '异议成立，该记录已撤销。' : '经核实记录属实，予以维持。';
      return [`关于您${periodText(text(d.period))}“`, { flex: text(d.itemName), min: 4 }, `”记录的异议已答复：${result}`];
    }
    case 'redemption': {
      const d = data as NoticeData['redemption'];
      return ['您在', { flex: text(d.shopName), min: 2 }, `兑换用去${num(d.points)}分，余${num(d.balance)}分`, { optional: `，小票${text(d.receiptNo)}` }, '。'];
    }
  }
}

/**
 * Shortens the longest free-text part by one character at a time until the message fits; if the
 * names are as short as they may be, leaves the optional details out; cuts the end only as a
 * last resort (no real value gets there: the spec's longest cases do not).
 */
function fit(list: Part[], max: number): string {
  const flex = list.map((p) => (typeof p === 'object' && 'flex' in p ? [...p.flex] : []));
  const cut = list.map(() => false);
  let keepOptional = true;
  const render = () =>
    list
      .map((p, i) => (typeof p === 'string' ? p : 'flex' in p ? flex[i].join('') + (cut[i] ? '…' : '') : keepOptional ? p.optional : ''))
      .join('');
  let out = render();
  while (out.length > max) {
    let longest = -1;
    list.forEach((p, i) => {
      if (typeof p === 'object' && 'flex' in p && flex[i].length > p.min && (longest < 0 || flex[i].length > flex[longest].length)) longest = i;
    });
    if (longest >= 0) {
      flex[longest].pop();
      cut[longest] = true;
    } else if (keepOptional && list.some((p) => typeof p === 'object' && 'optional' in p)) {
      keepOptional = false;
    } else {
      return `${out.slice(0, max - 1)}…`;
    }
    out = render();
  }
  return out;
}

/** The SMS: signature + text, one segment (≤ 70 characters). */
export function smsText(kind: NoticeKind, data: Record<string, unknown>): string {
  return fit([SMS_SIGNATURE, ...parts(kind, data)], SMS_SEGMENT_CHARS);
}

/** The full text for the resident's page (nothing shortened, no signature). */
export function pageText(kind: NoticeKind, data: Record<string, unknown>): string {
  return fit(parts(kind, data), Number.MAX_SAFE_INTEGER);
}

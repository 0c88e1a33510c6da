import { describe, expect, it } from 'vitest';
import { NOTICE_KINDS, pageText, SMS_SEGMENT_CHARS, SMS_SIGNATURE, smsText, type NoticeData, type NoticeKind } from './templates';

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;
const LONG = '关于在公共场所乱停乱放车辆堵塞消防通道并经劝阻拒不改正的行为'.repeat(7); // ~200 characters

/** The longest inputs each kind can get: int32 extremes, 200-character names, a long receipt. */
const LONGEST: { [K in NoticeKind]: Array<NoticeData[K]> } = {
  breach_published: [
    { itemName: LONG, points: INT_MIN, period: '2026-12', windowEndsAt: '2026-12-31T15:59:59Z' },
    { itemName: LONG, points: 0, period: '2026-12', windowEndsAt: '2026-12-31T15:59:59Z' },
    { itemName: LONG, points: INT_MAX, period: '2026-12', windowEndsAt: '2026-12-31T15:59:59Z' },
  ],
  points_posted: [{ period: '2026-12', gained: INT_MAX, lost: INT_MIN, count: INT_MAX, balance: INT_MIN }],
  grade_changed: [{ from: LONG, to: LONG, creditScore: INT_MIN }],
  objection_answered: [
    { itemName: LONG, period: '2026-12', outcome: 'upheld' },
    { itemName: LONG, period: '2026-12', outcome: 'dismissed' },
  ],
  redemption: [{ shopName: LONG, points: INT_MAX, balance: INT_MIN, receiptNo: 'SHOPCODE20XX-20261231-999999' }],
};

describe('notice templates: Chinese, one SMS segment (70 characters)', () => {
  it('has a longest case for every kind', () => {
    expect(Object.keys(LONGEST).sort()).toEqual([...NOTICE_KINDS].sort());
  });

  for (const kind of NOTICE_KINDS) {
    it(`${kind}: the longest case fits in one segment, with the signature`, () => {
      for (const data of LONGEST[kind]) {
        const sms = smsText(kind, data as unknown as Record<string, unknown>);
        expect(sms.length).toBeLessThanOrEqual(SMS_SEGMENT_CHARS);
        expect(sms.startsWith(SMS_SIGNATURE)).toBe(true);
        expect(sms.endsWith('。')).toBe(true);
        expect(/[\u4e00-\u9fff]/.test(sms)).toBe(true);
      }
    });
  }

  it('keeps the numbers whole and shortens only the names', () => {
    const breach = smsText('breach_published', LONGEST.breach_published[0] as never);
    expect(breach).toContain(`扣${-INT_MIN}分`);
    expect(breach).toContain('…');
    expect(breach).toContain('12月31日前提出');
    // Extreme numbers leave no room for the receipt number: it is left out (the page has it).
    const sale = smsText('redemption', LONGEST.redemption[0] as never);
    expect(sale).toContain(`用去${INT_MAX}分，余${INT_MIN}分。`);
    expect(sale).not.toContain('小票');
    // A real receipt (shop code of 12) with six-digit points keeps it.
    const real = smsText('redemption', { shopName: LONG, points: 999_999, balance: 999_999, receiptNo: 'SHOPCODE20XX-20261231-999999' });
    expect(real).toContain('小票SHOPCODE20XX-20261231-999999。');
    expect(real.length).toBeLessThanOrEqual(SMS_SEGMENT_CHARS);
  });

  it('reads as expected for ordinary values (nothing shortened)', () => {
    expect(smsText('breach_published', { itemName: '乱停乱放车辆', points: -10, period: '2026-11', windowEndsAt: '2026-12-08T02:00:00Z' })).toBe(
      '【信义积分】您2026年11月的失信记录已公示：乱停乱放车辆，扣10分。如有异议请于12月8日前提出。',
    );
    expect(smsText('breach_published', { itemName: '乱停乱放车辆', points: 0, period: '2026-11', windowEndsAt: '2026-12-07T16:00:00Z' })).toBe(
      '【信义积分】您2026年11月的失信记录已公示：乱停乱放车辆（警告，暂不扣分）。如有异议请于12月8日前提出。',
    );
    expect(smsText('points_posted', { period: '2026-11', gained: 15, lost: -10, count: 3, balance: 120 })).toBe('【信义积分】您2026年11月的积分已入账：加15分，扣10分，现可用120分。');
    expect(smsText('points_posted', { period: '2026-11', gained: 5, lost: 0, count: 1, balance: 5 })).toBe('【信义积分】您2026年11月的积分已入账：加5分，现可用5分。');
    expect(smsText('grade_changed', { from: 'A', to: 'AA', creditScore: 1050 })).toBe('【信义积分】您的信用等级由A调整为AA，信用分1050。');
    expect(smsText('objection_answered', { itemName: '拾金不昧', period: '2026-11', outcome: 'upheld' })).toBe('【信义积分】关于您2026年11月“拾金不昧”记录的异议已答复：异议成立，该记录已撤销。');
    expect(smsText('redemption', { shopName: '东村信义超市', points: 30, balance: 90, receiptNo: 'S1-20261201-000007' })).toBe(
      '【信义积分】您在东村信义超市兑换用去30分，余90分，小票S1-20261201-000007。',
    );
  });

  it('shortens by characters, not bytes: a name of rare characters (surrogate pairs) is cut whole', () => {
    const sms = smsText('redemption', { shopName: '𠀀'.repeat(40), points: 1, balance: 1, receiptNo: 'S1-20261201-000001' });
    expect(sms.length).toBeLessThanOrEqual(SMS_SEGMENT_CHARS);
    expect(sms).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('the page text is the whole message, without the signature', () => {
    const data = LONGEST.breach_published[0] as unknown as Record<string, unknown>;
    const page = pageText('breach_published', data);
    expect(page).toContain(LONG);
    expect(page.startsWith(SMS_SIGNATURE)).toBe(false);
  });
});

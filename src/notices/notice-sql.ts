/**
 * SQL pieces of a notice row, shared by the notices repository and by a statement of another
 * feature that writes its notice in the same statement (the shop's one-statement redemption,
 * src/shop/redemption-statement.repository.ts): the notice's shape and SMS rules stay in one place.
 *
 * Whether a new notice goes out by SMS, from the resident row `r`: not for a resident who moved
 * or died, has no phone or has not agreed. Such a notice is stored all the same (their page).
 */
export const SMS_STATE = `CASE WHEN r.status <> 'active' OR r.phone IS NULL OR r.phone = '' OR NOT r.sms_consent THEN 'skipped' ELSE 'pending' END`;
export const SKIP_REASON = `CASE WHEN r.status <> 'active' THEN 'inactive' WHEN r.phone IS NULL OR r.phone = '' THEN 'no_phone' WHEN NOT r.sms_consent THEN 'no_consent' END`;
export const INSERT_COLUMNS = `INSERT INTO notices (town_id, village_id, resident_id, kind, source_key, data, sms_state, skip_reason)`;

/**
 * A redemption's notice as SQL for a statement that writes the whole redemption at once (the
 * shop's one-statement path): each value is a SQL expression (a `$n` parameter), and `when` a
 * condition the row is written under; `from`, a FROM item the values come from (a batch's sales,
 * one notice each).
 */
export function redemptionNoticeInsert(v: { residentId: string; redemptionId: string; shopName: string; points: string; balance: string; receiptNo: string }, when = 'true', from = ''): string {
  return `${INSERT_COLUMNS}
   SELECT r.town_id, r.village_id, r.id, 'redemption', 'redemption:' || ${v.redemptionId}::text,
          jsonb_build_object('shopName', ${v.shopName}::text, 'points', ${v.points}::int, 'balance', ${v.balance}::int, 'receiptNo', ${v.receiptNo}::text), ${SMS_STATE}, ${SKIP_REASON}
     FROM ${from ? `${from}, ` : ''}residents r WHERE r.id = ${v.residentId} AND ${when}
   ON CONFLICT (source_key, town_id) DO NOTHING`;
}

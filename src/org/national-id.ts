import { createHmac } from 'node:crypto';

/**
 * PRC resident identity numbers (GB 11643-1999): 6-digit area code, birth date YYYYMMDD, 3-digit
 * sequence (odd = male) and an ISO 7064 MOD 11-2 check character (0-9 or X). Only a keyed hash
 * and the last four characters are ever stored; the number itself stays in this module's callers'
 * memory for the length of one request.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

export type NationalIdProblem = 'ID.FORMAT' | 'ID.LEGACY_15_DIGIT' | 'ID.BIRTH_DATE' | 'ID.CHECKSUM';

export type NationalIdCheck =
  | { ok: true; id: string; birthYear: number; gender: 'M' | 'F'; last4: string }
  | { ok: false; code: NationalIdProblem; message: string };

/** Predicates in the tabular convention ('zh / en'); the caller says which field or row. */
export const NATIONAL_ID_MESSAGES: Record<NationalIdProblem, string> = {
  'ID.FORMAT': '不是 18 位身份证号（17 位数字加 1 位数字或 X）/ not an 18-character ID number (17 digits and a digit or X)',
  'ID.LEGACY_15_DIGIT': '是 15 位旧身份证号，请换成 18 位新号码 / is an old 15-digit ID; use the 18-character number',
  'ID.BIRTH_DATE': '中的出生日期不存在或不合理 / contains an impossible birth date',
  'ID.CHECKSUM': '校验位不正确，请核对是否抄错 / check character does not match; probably mistyped',
};

/** The MOD 11-2 check character of the first 17 digits. */
export function nationalIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('nationalIdCheckChar needs 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] as number);
  return CHECK_CHARS[sum % 11] as string;
}

/** Full-width digits (a Chinese IME), spaces and a lower-case x are what people type by mistake. */
export function normaliseNationalId(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
}

export function checkNationalId(raw: string, today = new Date()): NationalIdCheck {
  const id = normaliseNationalId(raw);
  const fail = (code: NationalIdProblem): NationalIdCheck => ({ ok: false, code, message: NATIONAL_ID_MESSAGES[code] });
  if (/^\d{15}$/.test(id)) return fail('ID.LEGACY_15_DIGIT');
  if (!/^\d{17}[\dX]$/.test(id)) return fail('ID.FORMAT');
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const born = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day || born.getTime() > today.getTime()) {
    return fail('ID.BIRTH_DATE');
  }
  if (nationalIdCheckChar(id.slice(0, 17)) !== id[17]) return fail('ID.CHECKSUM');
  return { ok: true, id, birthYear: year, gender: Number(id[16]) % 2 === 1 ? 'M' : 'F', last4: id.slice(-4) };
}

/** HMAC-SHA256 (hex) of the normalised, upper-cased number: equal IDs give equal hashes. */
export function hashNationalId(secret: string, id: string): string {
  return createHmac('sha256', secret).update(normaliseNationalId(id), 'utf8').digest('hex');
}

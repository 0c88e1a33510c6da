import { CARD_CODE_PATTERN } from '@app/common/http/field-decorators';
import { cell, type CellParser, type ColumnSpec } from '@app/common/tabular/tabular';
import { checkNationalId } from './national-id';
import { CN_MOBILE_PATTERN, HOUSEHOLD_CODE_PATTERN } from './org.dto';

export interface RosterRow {
  householdCode: string;
  name: string;
  gender: 'M' | 'F';
  birthYear: number;
  nationalId: string;
  phone: string | null;
  cardCode: string | null;
  /** 同意短信: the resident agreed to SMS notices (empty = no). */
  smsConsent: boolean | null;
}

const idText = cell.string({ max: 18, transform: (s) => s.normalize('NFKC').replace(/\s+/gu, '').toUpperCase() });

/** The ID number as text (so Excel's rounding is caught by the string parser), then its checksum. */
const nationalId: CellParser<string> = (raw) => {
  const text = idText(raw);
  if (!text.ok) return text;
  const c = checkNationalId(text.value);
  return c.ok ? { ok: true, value: c.id } : { ok: false, code: c.code, message: c.message };
};

export const ROSTER_COLUMNS: ColumnSpec<unknown>[] = [
  {
    key: 'householdCode',
    header: '户号',
    aliases: ['户编号', 'household'],
    required: true,
    example: 'DC-001',
    parse: cell.string({ max: 20, pattern: HOUSEHOLD_CODE_PATTERN, message: '只能是 1–20 位字母、数字、_ 或 - / must be 1–20 letters, digits, _ or -' }),
  },
  { key: 'name', header: '姓名', aliases: ['name'], required: true, example: '张三', parse: cell.string({ max: 40 }) },
  { key: 'gender', header: '性别', aliases: ['gender'], required: true, example: '男', parse: cell.oneOf<'M' | 'F'>({ 男: 'M', 女: 'F' }) },
  {
    key: 'birthYear',
    header: '出生年份',
    aliases: ['出生年', 'birthYear'],
    required: true,
    example: '1949',
    parse: cell.integer({ min: 1900, max: 2100 }),
  },
  { key: 'nationalId', header: '身份证号', aliases: ['身份证', '公民身份号码', 'nationalId'], required: true, example: '110105194912310011', parse: nationalId },
  {
    key: 'phone',
    header: '手机号',
    aliases: ['手机', '电话', 'phone'],
    required: false,
    example: '13800138000',
    parse: cell.string({ max: 11, pattern: CN_MOBILE_PATTERN, message: '不是有效的手机号 / not a mainland mobile number' }),
  },
  {
    key: 'cardCode',
    header: '卡号',
    aliases: ['积分卡号', 'cardCode'],
    required: false,
    parse: cell.string({ max: 20, pattern: CARD_CODE_PATTERN, transform: (s) => s.toUpperCase(), message: '须为 6–20 位大写字母或数字 / must be 6–20 letters or digits' }),
  },
  { key: 'smsConsent', header: '同意短信', aliases: ['短信通知', '同意短信通知', 'smsConsent'], required: false, example: '是', parse: cell.boolean() },
];

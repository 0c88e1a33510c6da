import type { ValidationError } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

/**
 * Chinese messages for validation errors, made in one place from the constraint that failed and
 * the field's label, so every endpoint (staff, terminal, the public objection form) says in
 * Chinese which field is wrong, what is wrong and what is expected. The stable parts stay as
 * they were: the field path and the constraint names (`constraints`); the English text
 * class-validator wrote follows the Chinese after " / ".
 */

/** @nestjs/swagger's metadata key for @ApiProperty options (DECORATORS.API_MODEL_PROPERTIES). */
const SWAGGER_PROPERTY_KEY = 'swagger/apiModelProperties';

/** Labels of fields that are the same wherever they appear (route ids mostly carry no description). */
const COMMON_LABELS: Record<string, string> = {
  id: '编号',
  villageId: '村（社区）ID',
  shopId: '超市 ID',
  residentId: '村民 ID',
  entryId: '积分记录 ID',
  goodsId: '商品 ID',
  householdId: '户 ID',
  period: '期间',
  cardCode: '积分卡号',
  receiptNo: '小票号',
  jobId: '任务 ID',
  code: '编码',
  villageCode: '村编码',
  idempotencyKey: '幂等键',
  itemCode: '事项编码',
  status: '状态',
  format: '文件格式',
  outcome: '处理结果',
};

/** "操作人 ID（工作人员或终端 ID）" → "操作人 ID": the name, without the explanation after it. */
export function shortLabel(description: string): string {
  const head = description.split(/[（(，,；;：:。]/)[0].trim();
  return head || description.trim();
}

const labelCache = new WeakMap<object, Map<string, string | undefined>>();

function labelOf(target: object | undefined, property: string): string | undefined {
  if (!target) return COMMON_LABELS[property];
  const proto = Object.getPrototypeOf(target) as object;
  let cache = labelCache.get(proto);
  if (!cache) labelCache.set(proto, (cache = new Map()));
  if (!cache.has(property)) cache.set(property, findLabel(target, property));
  return cache.get(property);
}

function findLabel(target: object | undefined, property: string): string | undefined {
  if (target) {
    const api = Reflect.getMetadata(SWAGGER_PROPERTY_KEY, target, property) as { description?: string } | undefined;
    const short = api?.description ? shortLabel(api.description) : '';
    if (/\p{Script=Han}/u.test(short)) return short;
  }
  return COMMON_LABELS[property];
}

/** The label a property of a DTO class gets in messages (for the test that every field has one). */
export function labelForProperty(dto: new (...args: never[]) => object, property: string): string | undefined {
  return labelOf(Object.create(dto.prototype) as object, property);
}

function exampleOf(target: object | undefined, property: string): unknown {
  if (!target) return undefined;
  return (Reflect.getMetadata(SWAGGER_PROPERTY_KEY, target, property) as { example?: unknown } | undefined)?.example;
}

type DeclaredConstraint = { args: unknown[]; each: boolean };

/** Per DTO class, `property\0constraintName` → its declared arguments; read from the metadata once. */
const declaredByClass = new WeakMap<object, Map<string, DeclaredConstraint>>();

function declaredConstraints(ctor: object): Map<string, DeclaredConstraint> {
  let map = declaredByClass.get(ctor);
  if (map) return map;
  map = new Map();
  const storage = getMetadataStorage();
  for (const m of storage.getTargetValidationMetadatas(ctor as new () => object, '', true, false)) {
    const name = m.type === 'customValidation' ? storage.getTargetValidatorConstraints(m.constraintCls)[0]?.name : m.type;
    const key = `${m.propertyName}\0${name}`;
    if (name && !map.has(key)) map.set(key, { args: (m.constraints ?? []) as unknown[], each: m.each === true });
  }
  declaredByClass.set(ctor, map);
  return map;
}

/** The arguments a constraint was declared with (Min(1) → [1]) and whether it checks each item, found by its name. */
function constraintArgs(target: object | undefined, property: string, name: string): DeclaredConstraint {
  if (!target) return { args: [], each: false };
  return declaredConstraints(target.constructor).get(`${property}\0${name}`) ?? { args: [], each: false };
}

const list = (xs: unknown) => (Array.isArray(xs) ? xs.map(String).join('、') : String(xs));

type Template = (args: unknown[], ctx: { example: unknown }) => string;

/** What is expected, per class-validator constraint name (and ours: isCalendarDate, isTimestamp, noNul…). */
const TEMPLATES: Record<string, Template> = {
  isString: () => '应为文本',
  isInt: () => '应为整数',
  isNumber: () => '应为数字',
  maxDecimalPlaces: ([n]) => `应为有限的数字，最多 ${String(n)} 位小数`,
  isBoolean: () => '应为 true 或 false',
  isArray: () => '应为数组',
  isObject: () => '应为对象',
  isDefined: () => '必须填写',
  min: ([n]) => `不能小于 ${String(n)}`,
  max: ([n]) => `不能大于 ${String(n)}`,
  minLength: ([n]) => (n === 1 ? '不能为空' : `长度不能少于 ${String(n)} 个字符`),
  maxLength: ([n]) => `长度不能超过 ${String(n)} 个字符`,
  isUuid: () => '应为 UUID，如 3f2b6c1e-8a4d-4e2f-9b1a-0c5d7e9f1a2b',
  isIn: ([values]) => `应为以下之一：${list(values)}`,
  notEquals: ([v]) => `不能为 ${String(v)}`,
  arrayMinSize: ([n]) => `至少要有 ${String(n)} 项`,
  arrayMaxSize: ([n]) => `最多 ${String(n)} 项`,
  arrayUnique: () => '不能有重复项',
  matches: (_args, { example }) => (example !== undefined ? `格式不正确，应如 ${String(example)}` : '格式不正确'),
  isCalendarDate: () => '应为真实存在的日期 YYYY-MM-DD（1900–2999 年），如 2026-11-03',
  isTimestamp: () => '应为日期 YYYY-MM-DD 或日期时间，如 2026-03-01T08:00:00+08:00',
  nestedValidation: () => '应为对象（或对象的数组）',
  whitelistValidation: () => '是不接受的字段，请去掉',
  unknownValue: () => '应为 JSON 对象',
  noNul: () => '不能包含空字符（U+0000）',
};

/** Our own checks outside class-validator use these: a field and what was wrong, in both languages. */
export interface FieldProblem {
  field: string;
  /** constraint name → English message (stable names, as class-validator gives them) */
  constraints: Record<string, string>;
  /** Chinese first: the field's label and path, what is wrong, what is expected; English after " / " */
  message: string;
}

function head(label: string | undefined, field: string): string {
  if (!field) return '请求内容';
  return label ? `${label}（${field}）` : `字段 ${field}`;
}

/** One detail for a field that failed a check of ours (not a decorator): the message is given in Chinese. */
export function fieldProblem(field: string, constraint: string, zh: string, en: string, label = COMMON_LABELS[field.split(/[.[]/).pop() ?? field]): FieldProblem {
  return { field, constraints: { [constraint]: en }, message: `${head(label, field)}${zh} / ${en}` };
}

export interface RawFieldError {
  field: string;
  property: string;
  target: object | undefined;
  value: unknown;
  constraints: Record<string, string>;
}

/** The Chinese (then English) message of one field's failed constraints. */
export function describeFieldError(e: RawFieldError): FieldProblem {
  const label = labelOf(e.target, e.property);
  // Decorators run bottom-up, so class-validator lists them last-declared first: read them as written.
  const names = Object.keys(e.constraints).reverse();
  const example = exampleOf(e.target, e.property);
  // A field that is not there fails every check of its type; "必须填写" says it first.
  const missing = (e.value === undefined || e.value === null) && !names.includes('whitelistValidation') && !names.includes('unknownValue');
  const expected = names.map((n) => {
    const { args, each } = constraintArgs(e.target, e.property, n);
    const text = (TEMPLATES[n] ?? (() => `不符合要求（${n}）`))(args, { example });
    return each ? `每一项${text}` : text;
  });
  const unique = [...new Set(expected)];
  const zh = missing ? `必须填写：${unique.join('；')}` : names.includes('whitelistValidation') ? unique.join('；') : `不正确：${unique.join('；')}`;
  return { field: e.field, constraints: e.constraints, message: `${head(label, e.field)}${zh} / ${Object.values(e.constraints).join('; ')}` };
}

/** Flattens nested class-validator errors into `items[2].quantity`-style paths, with their messages. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const property = e.property ?? '';
    const isIndex = /^\d+$/.test(property);
    const path = parent ? (isIndex ? `${parent}[${property}]` : property ? `${parent}.${property}` : parent) : property;
    if (e.constraints) out.push(describeFieldError({ field: path, property, target: e.target, value: e.value, constraints: e.constraints }));
    if (e.children?.length) out.push(...describeValidationErrors(e.children, path));
  }
  return out;
}

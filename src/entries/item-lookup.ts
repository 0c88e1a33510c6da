/**
 * Which catalogue item a spreadsheet row means. Committees write what their paper says: a code
 * ("T01"), the item's Chinese name ("参加志愿服务"), or the template's dropdown value
 * ("T01 参加志愿服务"). Codes are matched case-insensitively, names exactly (after width and
 * space folding); for an unknown name the closest codes are suggested, since a near-miss
 * ("志愿服务") is the common mistake.
 */

export interface CatalogueItemName {
  code: string;
  name: string;
}

export type ItemResolution = { ok: true; code: string } | { ok: false; code: 'UPLOAD.UNKNOWN_ITEM' | 'UPLOAD.ITEM_NAME_MISMATCH' | 'UPLOAD.AMBIGUOUS_ITEM'; message: string };

/** A code, then optionally its name: "T01", "t01", "T01 参加志愿服务", "T01：参加志愿服务". */
const CODE_FIRST = /^([A-Za-z]\d{2})(?:[\s:：、.．\-—·]+(.*))?$/u;

const SUGGESTIONS = 3;

/** Width, case and spaces do not make a different name: （）and () are the same. */
export function foldName(s: string): string {
  return s.normalize('NFKC').replace(/\s+/gu, '').toLowerCase();
}

/** The dropdown value of the template's item column. */
export function itemChoice(item: CatalogueItemName): string {
  return `${item.code} ${item.name}`;
}

function bigrams(s: string): string[] {
  const chars = Array.from(s);
  if (chars.length < 2) return chars;
  return chars.slice(0, -1).map((c, i) => c + chars[i + 1]);
}

/**
 * How close a typed name is to an item's name: containment first ("志愿服务" in "参加志愿服务"),
 * then the share of the typed character pairs found in the name, with the Dice coefficient as a
 * tie-breaker so that a short name matching as well wins over a long one.
 */
function similarity(typed: string, name: string): number {
  if (typed === '' || name === '') return 0;
  if (name.includes(typed) || typed.includes(name)) return 1 + Math.min(typed.length, name.length) / Math.max(typed.length, name.length);
  const left = bigrams(typed);
  const rightList = bigrams(name);
  const right = new Map<string, number>();
  for (const g of rightList) right.set(g, (right.get(g) ?? 0) + 1);
  let shared = 0;
  for (const g of left) {
    const n = right.get(g) ?? 0;
    if (n > 0) {
      shared++;
      right.set(g, n - 1);
    }
  }
  return shared / left.length + (shared / (left.length + rightList.length));
}

/** Up to three items whose names are closest to `text` (none when nothing is close at all). */
export function closestItems(text: string, items: readonly CatalogueItemName[]): CatalogueItemName[] {
  const folded = foldName(text);
  return items
    .map((item) => ({ item, score: similarity(folded, foldName(item.name)) }))
    .filter((x) => x.score >= 0.3)
    .sort((a, b) => b.score - a.score || (a.item.code < b.item.code ? -1 : 1))
    .slice(0, SUGGESTIONS)
    .map((x) => x.item);
}

function suggestion(text: string, items: readonly CatalogueItemName[]): string {
  const close = closestItems(text, items);
  return close.length ? `；您是否要填：${close.map(itemChoice).join('、')}` : '；请对照模板中的“事项目录”填写编码';
}

/** The items in force on one date, indexed once for a whole sheet. */
export class ItemIndex {
  readonly byCode: Map<string, CatalogueItemName>;
  readonly byName = new Map<string, CatalogueItemName[]>();

  constructor(readonly items: readonly CatalogueItemName[]) {
    this.byCode = new Map(items.map((i) => [i.code.toUpperCase(), i]));
    for (const i of items) {
      const k = foldName(i.name);
      this.byName.set(k, [...(this.byName.get(k) ?? []), i]);
    }
  }
}

/**
 * Resolves the item cell (and, when the sheet has one, the separate item-name cell) against the
 * items in force. Returns the code, or a predicate message ('不在…') for the caller to prefix.
 */
export function resolveItem(cellText: string | null, nameText: string | null, items: readonly CatalogueItemName[] | ItemIndex): ItemResolution {
  const index = items instanceof ItemIndex ? items : new ItemIndex(items);
  const byCode = index.byCode;
  items = index.items;
  const text = (cellText ?? '').normalize('NFKC').trim();
  const m = CODE_FIRST.exec(text);
  if (m) {
    const code = (m[1] ?? '').toUpperCase();
    const item = byCode.get(code);
    const statedName = [m[2], nameText].find((n): n is string => typeof n === 'string' && n.trim() !== '');
    if (!item) {
      return { ok: false, code: 'UPLOAD.UNKNOWN_ITEM', message: `事项编码 ${code} 不在本镇现行目录中${suggestion(statedName ?? '', items)} / item ${code} is not in the catalogue in force` };
    }
    if (statedName !== undefined && foldName(statedName) !== foldName(item.name)) {
      return {
        ok: false,
        code: 'UPLOAD.ITEM_NAME_MISMATCH',
        message: `事项编码 ${code} 是“${item.name}”，与所填名称“${statedName.trim()}”不符 / item ${code} is named differently`,
      };
    }
    return { ok: true, code: item.code };
  }
  const name = text !== '' ? text : (nameText ?? '').trim();
  const named = index.byName.get(foldName(name)) ?? [];
  if (named.length === 1 && named[0]) return { ok: true, code: named[0].code };
  if (named.length > 1) {
    return {
      ok: false,
      code: 'UPLOAD.AMBIGUOUS_ITEM',
      message: `名称“${name}”对应多个事项（${named.map((i) => i.code).join('、')}），请填写编码 / the name matches several items; give the code`,
    };
  }
  return { ok: false, code: 'UPLOAD.UNKNOWN_ITEM', message: `事项“${name}”不在本镇现行目录中${suggestion(name, items)} / no item of that name in the catalogue in force` };
}

import { ref, watch } from 'vue';
import { ApiError, type Schemas } from '@/api/client';

export type TerminalMe = Schemas['TerminalMeDto'];
export type Receipt = Schemas['ReceiptDto'];
export type Goods = Schemas['GoodsDto'];
export type CardHolder = Schemas['CardHolderDto'];

/**
 * The terminal's API key lives only on this device (localStorage of this browser profile): the
 * pairing page puts it here once; revoking the terminal makes the api refuse it, and the till
 * then forgets it and asks to pair again.
 */
const KEY_STORAGE = 'xinyi.till.apiKey';

export function tillKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setTillKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** The header every terminal request carries (the clerk's bearer is added by the api client). */
export function tillHeaders(): { 'x-api-key': string } {
  return { 'x-api-key': tillKey() ?? '' };
}

/**
 * The receipt printer's paper on this device, 58 or 80 mm: the last width printed at the till,
 * used by the reprints and the day's reconciliation too.
 */
const PAPER_STORAGE = 'xinyi.till.paperMm';

function storedPaper(): 58 | 80 {
  try {
    return localStorage.getItem(PAPER_STORAGE) === '80' ? 80 : 58;
  } catch {
    return 58;
  }
}

export const paperWidth = ref<58 | 80>(storedPaper());
watch(paperWidth, (w) => {
  try {
    localStorage.setItem(PAPER_STORAGE, String(w));
  } catch {
    // Private mode: the width holds for this page only.
  }
});

/** Who this till is, as the api last said (shared by the till's pages). */
export const terminal = ref<TerminalMe | null>(null);

/** The api refused the key: the terminal was revoked (or the key is gone); pair again. */
export function isRevoked(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'AUTH.INVALID_API_KEY';
}

const STATUS_NAMES: Record<string, string> = { moved: '已迁出', deceased: '已故', excluded: '已除名', active: '正常' };

export function statusName(status: string): string {
  return STATUS_NAMES[status] ?? status;
}

/** A refused card, said the way a clerk tells the resident. */
export function cardRefusal(err: unknown): string {
  if (!(err instanceof ApiError)) return '查询失败，请重试';
  if (err.code === 'REDEMPTION.RESIDENT_NOT_FOUND') return '查无此卡：卡号不存在或不属于本镇';
  if (err.code === 'REDEMPTION.RESIDENT_NOT_SERVED') return '该村民所在村不由本超市服务，请到本村信义超市兑换';
  if (err.code === 'REDEMPTION.RESIDENT_NOT_ACTIVE') {
    const status = (err.details as { status?: string } | null)?.status;
    return status ? `该村民${statusName(status)}，不能兑换` : err.message;
  }
  if (err.code === 'VALIDATION.FAILED') return '卡号格式不对：应为 6–20 位字母或数字';
  return err.message;
}

/** What the card field got, as a card code: scanners and people add spaces and lower case. */
export function normalizeCard(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

/** A new idempotency key for a new basket: the terminal's id prefix, time and randomness. */
export function newBasketKey(): string {
  const rnd = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Math.random()}`.slice(2);
  return `till-${Date.now().toString(36)}-${rnd}`.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, 100);
}

export function formatTime(value: string | Date): string {
  const d = new Date(value);
  return new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d);
}

/** Today in Asia/Shanghai, as the api counts days. */
export function shanghaiDay(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The query parameter of the till's address that carries a pairing code (the pairing QR). */
export const PAIR_PARAM = 'pair';

/** The till's address with a pairing code in it, as the pairing QR holds it. */
export function pairingUrl(till: URL, code: string): string {
  const url = new URL(till);
  url.searchParams.set(PAIR_PARAM, code);
  return url.toString();
}

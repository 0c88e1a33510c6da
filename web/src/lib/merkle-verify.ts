/**
 * 记录核验: checks in the browser (WebCrypto) that one account head is in a village checkpoint's
 * Merkle root — the root printed on the paper board, typed in, or the one the api answers.
 * Framework-free, no imports: it runs in any page and in Node ≥ 20 (globalThis.crypto).
 *
 * Construction (docs/LEDGER.md, "Checkpoint v2"): RFC 6962 tree over SHA-256.
 *   leaf bytes = UTF-8 of JSON ["xinyi-checkpoint-leaf-v2", villageId, period, accountId, seq, headHash]
 *   leaf hash  = SHA-256(0x00 ‖ leaf bytes), node = SHA-256(0x01 ‖ left ‖ right)
 * Verification is RFC 9162 §2.1.3.2. The leaf hash is recomputed here from the leaf fields, never
 * taken from the server.
 */

export const MERKLE_LEAF_TAG = 'xinyi-checkpoint-leaf-v2';

/** Digits of the short form printed on the board (`abcd ef01 2345 6789`). */
export const SHORT_ROOT_DIGITS = 16;

export interface MerkleLeaf {
  villageId: string;
  period: string;
  accountId: string;
  seq: number;
  headHash: string;
}

/** What the proof endpoint answers (extra fields are ignored). */
export interface MerkleProof {
  treeSize: number;
  leafIndex: number;
  leaf: MerkleLeaf;
  auditPath: string[];
}

export type VerifyFailure = 'bad_root' | 'bad_proof' | 'root_mismatch';

export type VerifyResult =
  | { ok: true; computedRoot: string; matched: 'full' | 'short'; message: string }
  | { ok: false; reason: VerifyFailure; computedRoot: string | null; message: string };

const HEX64 = /^[0-9a-f]{64}$/;

export function encodeLeaf(l: MerkleLeaf): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([MERKLE_LEAF_TAG, l.villageId, l.period, l.accountId, l.seq, l.headHash]));
}

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new Error('此浏览器不支持 WebCrypto（需 https 或本机地址）');
  return c.subtle;
}

async function sha256(prefix: number, ...parts: Uint8Array[]): Promise<Uint8Array> {
  const len = 1 + parts.reduce((s, p) => s + p.length, 0);
  const buf = new Uint8Array(len);
  buf[0] = prefix;
  let at = 1;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await subtle().digest('SHA-256', buf));
}

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function leafHashHex(l: MerkleLeaf): Promise<string> {
  return toHex(await sha256(0x00, encodeLeaf(l)));
}

/** A root as a person types it from paper: spaces, dashes and case do not matter. */
export function normalizeRoot(text: string): string {
  return text.replace(/[\s\-:：]/g, '').toLowerCase();
}

export function shortRoot(rootHex: string): string {
  return (rootHex.slice(0, SHORT_ROOT_DIGITS).match(/.{4}/g) ?? []).join(' ');
}

/** RFC 9162 §2.1.3.2: the root the proof leads to, or null when the proof is malformed. */
export async function rootFromProof(p: MerkleProof): Promise<string | null> {
  const { treeSize, leafIndex, auditPath, leaf } = p;
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) return null;
  if (!Array.isArray(auditPath) || !leaf || !Number.isSafeInteger(leaf.seq)) return null;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = await sha256(0x00, encodeLeaf(leaf));
  for (const hex of auditPath) {
    if (sn === 0 || typeof hex !== 'string' || !HEX64.test(hex)) return null;
    const s = fromHex(hex);
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(0x01, s, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(0x01, r, s);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? toHex(r) : null;
}

/**
 * Checks `proof` against `root`: the full 64 hex digits, or at least the board's short form
 * (its first 16 digits) when that is what the person typed.
 */
export async function verifyProof(proof: MerkleProof, root: string): Promise<VerifyResult> {
  const want = normalizeRoot(root);
  if (!/^[0-9a-f]+$/.test(want) || want.length < SHORT_ROOT_DIGITS || want.length > 64) {
    return { ok: false, reason: 'bad_root', computedRoot: null, message: `核验码格式不对：请输入公示栏上的核验码（至少前 ${SHORT_ROOT_DIGITS} 位，0–9、a–f）` };
  }
  const computed = await rootFromProof(proof);
  if (!computed) return { ok: false, reason: 'bad_proof', computedRoot: null, message: '核验失败：证明数据不完整或格式错误' };
  const matches = want.length === 64 ? computed === want : computed.startsWith(want);
  if (!matches) {
    return { ok: false, reason: 'root_mismatch', computedRoot: computed, message: `核验失败：按本账户记录算出的核验码为 ${shortRoot(computed)}…，与公示栏上的 ${shortRoot(want)}… 不符。记录可能被改动，请向村委会或镇纪检提出。` };
  }
  return {
    ok: true,
    computedRoot: computed,
    matched: want.length === 64 ? 'full' : 'short',
    message: want.length === 64 ? '已核验：本账户记录包含在公示的核验码中' : `已核验：与公示栏核验码的前 ${want.length} 位一致`,
  };
}


import { createHash } from 'node:crypto';

/**
 * Checkpoint format version 2 (docs/LEDGER.md, "Checkpoint v2: a Merkle tree of account heads"):
 * an RFC 6962 (Certificate Transparency) Merkle tree, SHA-256, over one leaf per account of the
 * village: leaf hash = SHA-256(0x00 ‖ leaf bytes), node = SHA-256(0x01 ‖ left ‖ right), n leaves
 * split at the largest power of two below n. Any one account's head can then be shown to be in
 * the root printed on the board with ⌈log2 n⌉ hashes, without revealing the other accounts.
 *
 * The browser's verifier (web/src/lib/merkle-verify.ts) re-implements the leaf encoding and the
 * RFC 9162 §2.1.3.2 verification on WebCrypto; src/ledger/merkle-verify.spec.ts keeps both equal.
 */

/** Version tag inside every leaf: a different leaf encoding gets a new tag. */
export const MERKLE_LEAF_TAG = 'xinyi-checkpoint-leaf-v2';

/** One account head as committed in a v2 checkpoint. */
export interface MerkleLeafFields {
  villageId: string;
  /** 'YYYY-MM' of the checkpoint's cycle. */
  period: string;
  /** The resident id (lower-case uuid, as PostgreSQL prints it). */
  accountId: string;
  /** The account's last seq at the checkpoint (0: no postings yet). */
  seq: number;
  /** The hash of the posting at `seq` (64 × '0' at seq 0), lower-case hex. */
  headHash: string;
}

/** The exact leaf bytes: UTF-8 of a JSON array in this field order (no spaces). */
export function merkleLeafBytes(l: MerkleLeafFields): Buffer {
  return Buffer.from(JSON.stringify([MERKLE_LEAF_TAG, l.villageId, l.period, l.accountId, l.seq, l.headHash]), 'utf8');
}

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export function merkleLeafHash(l: MerkleLeafFields): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(merkleLeafBytes(l)).digest();
}

export function merkleNodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 6962 MTH of the empty list: SHA-256 of nothing (a village without accounts). */
export const EMPTY_TREE_ROOT = createHash('sha256').digest('hex');

/**
 * The leaves in their defined order: by account id (uuid text order, which is PostgreSQL's uuid
 * order). Each account once.
 */
export function orderLeaves<T extends { accountId: string }>(leaves: readonly T[]): T[] {
  const sorted = [...leaves].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].accountId === sorted[i - 1].accountId) throw new RangeError(`account ${sorted[i].accountId} appears twice in a checkpoint`);
  }
  return sorted;
}

/**
 * All levels of the tree, bottom-up: levels[0] are the leaf hashes, the last level is [root].
 * Pairing neighbours level by level and lifting an unpaired last node unchanged builds exactly
 * the RFC 6962 tree (its split at the largest power of two below n puts every unpaired node at
 * the right edge), in one pass and 2n hashes.
 */
export function merkleLevels(leafHashes: readonly Buffer[]): Buffer[][] {
  const levels: Buffer[][] = [leafHashes.slice()];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const up: Buffer[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) up.push(merkleNodeHash(below[i], below[i + 1]));
    if (below.length % 2 === 1) up.push(below[below.length - 1]);
    levels.push(up);
  }
  return levels;
}

export function merkleRootOf(leafHashes: readonly Buffer[]): string {
  if (!leafHashes.length) return EMPTY_TREE_ROOT;
  const levels = merkleLevels(leafHashes);
  return levels[levels.length - 1][0].toString('hex');
}

/** RFC 6962 PATH(m, D[n]): the sibling hashes from the leaf up to the root. */
export function auditPathFrom(levels: readonly Buffer[][], leafIndex: number): Buffer[] {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= levels[0].length) throw new RangeError(`leaf ${leafIndex} is not in a tree of ${levels[0].length}`);
  const path: Buffer[] = [];
  let i = leafIndex;
  for (let level = 0; level < levels.length - 1; level++) {
    const nodes = levels[level];
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < nodes.length) path.push(nodes[sibling]);
    i = Math.floor(i / 2);
  }
  return path;
}

export interface AccountHeadTriple {
  accountId: string;
  seq: number;
  headHash: string;
}

export function headLeaves(villageId: string, period: string, heads: readonly AccountHeadTriple[]): MerkleLeafFields[] {
  return orderLeaves(heads).map((h) => ({ villageId, period, accountId: h.accountId, seq: h.seq, headHash: h.headHash }));
}

/** The v2 checkpoint value: the Merkle root over the village's account heads at finalize. */
export function merkleCheckpointRoot(villageId: string, period: string, heads: readonly AccountHeadTriple[]): string {
  return merkleRootOf(headLeaves(villageId, period, heads).map(merkleLeafHash));
}

export interface InclusionProof {
  treeSize: number;
  leafIndex: number;
  leaf: MerkleLeafFields;
  /** Lower-case hex, leaf to root. */
  auditPath: string[];
}

/**
 * The inclusion proof of one account's leaf in the checkpoint over `heads` (the heads stored with
 * the checkpoint). `leaf` may differ from the stored head (the proof service passes the head as
 * the ledger reads now): the audit path does not depend on the proved leaf itself, so a changed
 * head gives a proof that fails against the root, which is the point.
 */
export function inclusionProof(villageId: string, period: string, heads: readonly AccountHeadTriple[], leaf: MerkleLeafFields): InclusionProof {
  const leaves = headLeaves(villageId, period, heads);
  const leafIndex = leaves.findIndex((l) => l.accountId === leaf.accountId);
  if (leafIndex < 0) throw new RangeError(`account ${leaf.accountId} is not in the checkpoint`);
  const levels = merkleLevels(leaves.map(merkleLeafHash));
  return { treeSize: leaves.length, leafIndex, leaf, auditPath: auditPathFrom(levels, leafIndex).map((b) => b.toString('hex')) };
}

/**
 * RFC 9162 §2.1.3.2: recompute the root from the leaf and its path (without the tree). The
 * server-side twin of the browser verifier; used by tests and the auditors' checks.
 */
export function rootFromProof(p: InclusionProof): string | null {
  if (!Number.isInteger(p.treeSize) || !Number.isInteger(p.leafIndex) || p.leafIndex < 0 || p.leafIndex >= p.treeSize) return null;
  let fn = p.leafIndex;
  let sn = p.treeSize - 1;
  let r = merkleLeafHash(p.leaf);
  for (const hex of p.auditPath) {
    if (sn === 0 || !/^[0-9a-f]{64}$/.test(hex)) return null;
    const s = Buffer.from(hex, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(s, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = merkleNodeHash(r, s);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r.toString('hex') : null;
}

export function verifyInclusion(p: InclusionProof, rootHex: string): boolean {
  return rootFromProof(p) === rootHex.toLowerCase();
}

/** The short form printed large on the board: the root's first 16 hex digits in groups of 4. */
export function shortRoot(rootHex: string): string {
  return rootHex.slice(0, 16).match(/.{4}/g)?.join(' ') ?? rootHex;
}

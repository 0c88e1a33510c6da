import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_TREE_ROOT,
  auditPathFrom,
  headLeaves,
  inclusionProof,
  merkleCheckpointRoot,
  merkleLeafBytes,
  merkleLeafHash,
  merkleLevels,
  merkleRootOf,
  rootFromProof,
  shortRoot,
  verifyInclusion,
  type AccountHeadTriple,
} from './merkle';

// ---- an independent, naive RFC 6962 §2.1 implementation, straight from the text ---------------
const sha = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const largestPow2Below = (n: number) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
/** MTH(D[n]) on raw leaf inputs. */
function naiveMth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.from([0]), d[0]);
  const k = largestPow2Below(d.length);
  return sha(Buffer.from([1]), naiveMth(d.slice(0, k)), naiveMth(d.slice(k)));
}
/** PATH(m, D[n]). */
function naivePath(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = largestPow2Below(d.length);
  return m < k ? [...naivePath(m, d.slice(0, k)), naiveMth(d.slice(k))] : [...naivePath(m - k, d.slice(k)), naiveMth(d.slice(0, k))];
}

const VILLAGE = '3f0c1e2d-0000-4000-8000-00000000000a';
const PERIOD = '2026-03';
function heads(n: number): AccountHeadTriple[] {
  // Deliberately out of order: the tree orders its leaves by account id itself.
  return Array.from({ length: n }, (_, i) => ({
    accountId: `00000000-0000-4000-8000-${String((i * 7919) % 1_000_003).padStart(12, '0')}`,
    seq: i % 4,
    headHash: i % 4 === 0 ? '0'.repeat(64) : createHash('sha256').update(`head ${i}`).digest('hex'),
  }));
}

describe('checkpoint v2 Merkle tree (RFC 6962, SHA-256)', () => {
  it('encodes a leaf as the documented JSON array (known answer)', () => {
    const leaf = { villageId: VILLAGE, period: PERIOD, accountId: '0b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e01', seq: 1, headHash: 'bda8528a4697e65954dd534d8ae2d05108a2b1266b54bb1c709c0948c350f732' };
    const text = '["xinyi-checkpoint-leaf-v2","3f0c1e2d-0000-4000-8000-00000000000a","2026-03","0b7e6f0c-6a53-4d1e-9a57-2f1c3b7d9e01",1,"bda8528a4697e65954dd534d8ae2d05108a2b1266b54bb1c709c0948c350f732"]';
    expect(merkleLeafBytes(leaf).toString('utf8')).toBe(text);
    // The same as: printf '\x00%s' '<text>' | sha256sum
    expect(merkleLeafHash(leaf).toString('hex')).toBe(createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(text)])).digest('hex'));
  });

  it('the empty tree is SHA-256 of nothing; one leaf is its own leaf hash with an empty path', () => {
    expect(merkleCheckpointRoot(VILLAGE, PERIOD, [])).toBe(EMPTY_TREE_ROOT);
    expect(EMPTY_TREE_ROOT).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const [h] = heads(1);
    const leaf = headLeaves(VILLAGE, PERIOD, [h])[0];
    const root = merkleCheckpointRoot(VILLAGE, PERIOD, [h]);
    expect(root).toBe(merkleLeafHash(leaf).toString('hex'));
    const p = inclusionProof(VILLAGE, PERIOD, [h], leaf);
    expect(p).toMatchObject({ treeSize: 1, leafIndex: 0, auditPath: [] });
    expect(verifyInclusion(p, root)).toBe(true);
  });

  it('has the RFC 6962 shape: 3 leaves = H(H(a,b), c), 5 leaves = H(H(H(a,b),H(c,d)), e)', () => {
    const L = (i: number) => sha(Buffer.from([0]), Buffer.from(`leaf ${i}`));
    const N = (a: Buffer, b: Buffer) => sha(Buffer.from([1]), a, b);
    const three = [0, 1, 2].map(L);
    expect(merkleRootOf(three)).toBe(N(N(three[0], three[1]), three[2]).toString('hex'));
    const five = [0, 1, 2, 3, 4].map(L);
    expect(merkleRootOf(five)).toBe(N(N(N(five[0], five[1]), N(five[2], five[3])), five[4]).toString('hex'));
    const seven = [0, 1, 2, 3, 4, 5, 6].map(L);
    expect(merkleRootOf(seven)).toBe(N(N(N(seven[0], seven[1]), N(seven[2], seven[3])), N(N(seven[4], seven[5]), seven[6])).toString('hex'));
    // Leaf 4 of 5 needs one sibling (the left subtree of 4); leaf 0 of 5 needs three.
    expect(auditPathFrom(merkleLevels(five), 4).map((b) => b.toString('hex'))).toEqual([N(N(five[0], five[1]), N(five[2], five[3])).toString('hex')]);
    expect(auditPathFrom(merkleLevels(five), 0)).toHaveLength(3);
  });

  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 100]) {
    it(`${n} leaves: root and every audit path equal the naive RFC definition, and every proof verifies`, () => {
      const hs = heads(n);
      const leaves = headLeaves(VILLAGE, PERIOD, hs);
      const raw = leaves.map(merkleLeafBytes);
      const root = merkleCheckpointRoot(VILLAGE, PERIOD, hs);
      expect(root).toBe(naiveMth(raw).toString('hex'));
      for (let m = 0; m < n; m++) {
        const p = inclusionProof(VILLAGE, PERIOD, hs, leaves[m]);
        expect(p.leafIndex).toBe(m);
        expect(p.auditPath).toEqual(naivePath(m, raw).map((b) => b.toString('hex')));
        expect(rootFromProof(p)).toBe(root);
        expect(verifyInclusion(p, root.toUpperCase())).toBe(true);
      }
    });
  }

  it('orders leaves by account id whatever the order given, and refuses an account twice', () => {
    const hs = heads(9);
    expect(merkleCheckpointRoot(VILLAGE, PERIOD, [...hs].reverse())).toBe(merkleCheckpointRoot(VILLAGE, PERIOD, hs));
    expect(() => merkleCheckpointRoot(VILLAGE, PERIOD, [...hs, hs[3]])).toThrow(RangeError);
  });

  it('binds village and period: the same heads under another village or month give another root', () => {
    const hs = heads(5);
    const root = merkleCheckpointRoot(VILLAGE, PERIOD, hs);
    expect(merkleCheckpointRoot(VILLAGE, '2026-04', hs)).not.toBe(root);
    expect(merkleCheckpointRoot('3f0c1e2d-0000-4000-8000-00000000000b', PERIOD, hs)).not.toBe(root);
  });

  describe('a proof fails when anything is wrong', () => {
    const hs = heads(7);
    const leaves = headLeaves(VILLAGE, PERIOD, hs);
    const root = merkleCheckpointRoot(VILLAGE, PERIOD, hs);
    const good = inclusionProof(VILLAGE, PERIOD, hs, leaves[5]);
    it('is good as built', () => expect(verifyInclusion(good, root)).toBe(true));
    it('a changed head hash, seq, account, village or period', () => {
      expect(verifyInclusion({ ...good, leaf: { ...good.leaf, headHash: 'f'.repeat(64) } }, root)).toBe(false);
      expect(verifyInclusion({ ...good, leaf: { ...good.leaf, seq: good.leaf.seq + 1 } }, root)).toBe(false);
      expect(verifyInclusion({ ...good, leaf: { ...good.leaf, accountId: leaves[4].accountId } }, root)).toBe(false);
      expect(verifyInclusion({ ...good, leaf: { ...good.leaf, period: '2026-04' } }, root)).toBe(false);
    });
    it('a changed, missing or extra sibling; another index or size', () => {
      for (let i = 0; i < good.auditPath.length; i++) {
        const path = [...good.auditPath];
        path[i] = (path[i][0] === '0' ? '1' : '0') + path[i].slice(1);
        expect(verifyInclusion({ ...good, auditPath: path }, root)).toBe(false);
      }
      expect(verifyInclusion({ ...good, auditPath: good.auditPath.slice(1) }, root)).toBe(false);
      expect(verifyInclusion({ ...good, auditPath: [...good.auditPath, good.auditPath[0]] }, root)).toBe(false);
      expect(verifyInclusion({ ...good, leafIndex: 4 }, root)).toBe(false);
      expect(verifyInclusion({ ...good, treeSize: 5 }, root)).toBe(false);
      expect(verifyInclusion({ ...good, leafIndex: 7 }, root)).toBe(false);
      expect(verifyInclusion({ ...good, auditPath: ['zz'] }, root)).toBe(false);
    });
    it('another root', () => {
      expect(verifyInclusion(good, merkleCheckpointRoot(VILLAGE, PERIOD, hs.slice(1)))).toBe(false);
    });
  });

  it('prints the short form as four groups of four hex digits', () => {
    expect(shortRoot('0123456789abcdef'.repeat(4))).toBe('0123 4567 89ab cdef');
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
// The browser's verifier (WebCrypto), run here on Node's globalThis.crypto against the server's tree.
import { encodeLeaf, leafHashHex, normalizeRoot, rootFromProof, shortRoot as browserShortRoot, verifyProof, type MerkleProof } from '../../web/src/lib/merkle-verify';
import { headLeaves, inclusionProof, merkleCheckpointRoot, merkleLeafBytes, merkleLeafHash, shortRoot, type AccountHeadTriple } from './merkle';

const VILLAGE = '5a5a5a5a-0000-4000-8000-000000000001';
const PERIOD = '2026-05';
const heads = (n: number): AccountHeadTriple[] =>
  Array.from({ length: n }, (_, i) => ({
    accountId: `11111111-0000-4000-8000-${String(i * 31).padStart(12, '0')}`,
    seq: i,
    headHash: i === 0 ? '0'.repeat(64) : createHash('sha256').update(`h${i}`).digest('hex'),
  }));

describe('web/src/lib/merkle-verify.ts (the browser verifier) against the server tree', () => {
  it('encodes leaves byte for byte as the server does, and hashes them the same', async () => {
    for (const leaf of headLeaves(VILLAGE, PERIOD, heads(4))) {
      expect(Buffer.from(encodeLeaf(leaf)).equals(merkleLeafBytes(leaf))).toBe(true);
      expect(await leafHashHex(leaf)).toBe(merkleLeafHash(leaf).toString('hex'));
    }
    // Non-ASCII survives the same way (UTF-8 on both sides).
    const odd = { villageId: VILLAGE, period: '二〇二六-05', accountId: 'x', seq: 3, headHash: 'a'.repeat(64) };
    expect(Buffer.from(encodeLeaf(odd)).equals(merkleLeafBytes(odd))).toBe(true);
  });

  for (const n of [1, 2, 3, 5, 7, 8, 9, 100]) {
    it(`${n} leaves: every server proof verifies against the server root, full and short form`, async () => {
      const hs = heads(n);
      const root = merkleCheckpointRoot(VILLAGE, PERIOD, hs);
      const leaves = headLeaves(VILLAGE, PERIOD, hs);
      // Every leaf for small trees; a spread for 100 (the server spec covers all 100 already).
      const indexes = n <= 9 ? leaves.map((_, i) => i) : [0, 1, 31, 63, 64, 95, 96, 98, 99];
      for (const i of indexes) {
        const proof: MerkleProof = inclusionProof(VILLAGE, PERIOD, hs, leaves[i]);
        expect(await rootFromProof(proof)).toBe(root);
        await expect(verifyProof(proof, root)).resolves.toMatchObject({ ok: true, matched: 'full', computedRoot: root });
        await expect(verifyProof(proof, shortRoot(root))).resolves.toMatchObject({ ok: true, matched: 'short' });
        await expect(verifyProof(proof, root.toUpperCase().replace(/(.{8})/g, '$1-'))).resolves.toMatchObject({ ok: true, matched: 'full' });
      }
    });
  }

  describe('says why a proof fails', () => {
    const hs = heads(9);
    const root = merkleCheckpointRoot(VILLAGE, PERIOD, hs);
    const good = inclusionProof(VILLAGE, PERIOD, hs, headLeaves(VILLAGE, PERIOD, hs)[6]);

    it('a changed leaf field: root_mismatch with the root it computed', async () => {
      const r = await verifyProof({ ...good, leaf: { ...good.leaf, headHash: 'e'.repeat(64) } }, root);
      expect(r).toMatchObject({ ok: false, reason: 'root_mismatch' });
      expect(r.computedRoot).toMatch(/^[0-9a-f]{64}$/);
      expect(r.message).toContain('核验失败');
      await expect(verifyProof({ ...good, leaf: { ...good.leaf, seq: 99 } }, root)).resolves.toMatchObject({ ok: false, reason: 'root_mismatch' });
    });
    it('a changed sibling; a wrong typed root, full or short', async () => {
      const path = [...good.auditPath];
      path[1] = 'f'.repeat(64);
      await expect(verifyProof({ ...good, auditPath: path }, root)).resolves.toMatchObject({ ok: false, reason: 'root_mismatch' });
      const other = merkleCheckpointRoot(VILLAGE, PERIOD, hs.slice(0, 8));
      await expect(verifyProof(good, other)).resolves.toMatchObject({ ok: false, reason: 'root_mismatch' });
      await expect(verifyProof(good, shortRoot(other))).resolves.toMatchObject({ ok: false, reason: 'root_mismatch' });
    });
    it('a malformed proof: bad_proof', async () => {
      await expect(verifyProof({ ...good, leafIndex: 9 }, root)).resolves.toMatchObject({ ok: false, reason: 'bad_proof' });
      await expect(verifyProof({ ...good, auditPath: [...good.auditPath, good.auditPath[0]] }, root)).resolves.toMatchObject({ ok: false, reason: 'bad_proof' });
      await expect(verifyProof({ ...good, auditPath: ['not hex'] }, root)).resolves.toMatchObject({ ok: false, reason: 'bad_proof' });
    });
    it('a root too short or not hex: bad_root', async () => {
      await expect(verifyProof(good, root.slice(0, 8))).resolves.toMatchObject({ ok: false, reason: 'bad_root' });
      await expect(verifyProof(good, 'zz'.repeat(32))).resolves.toMatchObject({ ok: false, reason: 'bad_root' });
      await expect(verifyProof(good, root + '00')).resolves.toMatchObject({ ok: false, reason: 'bad_root' });
    });
  });

  it('reads a root as typed from paper and prints the same short form as the board', () => {
    const root = merkleCheckpointRoot(VILLAGE, PERIOD, heads(3));
    expect(normalizeRoot(` ${shortRoot(root).toUpperCase()} `)).toBe(root.slice(0, 16));
    expect(browserShortRoot(root)).toBe(shortRoot(root));
  });
});

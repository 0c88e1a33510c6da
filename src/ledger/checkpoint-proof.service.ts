import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import type { CheckpointProofDto } from './ledger.dto';
import { VerificationRepository } from './verification.repository';
import { inclusionProof, merkleLeafHash, shortRoot, type MerkleLeafFields } from './merkle';
import { GENESIS_HASH, postingHash } from './posting-hash';

/**
 * Inclusion proofs of one account head in a village checkpoint (version 2, a Merkle root).
 *
 * The audit path comes from the heads stored with the checkpoint; the proved leaf's head hash is
 * recomputed here from the account's postings 1…seq **as the ledger holds them now** (each
 * posting's hash over its fields and the previous recomputed hash). A posting of that account
 * changed, deleted or rewritten (even with hashes recomputed) since finalize gives another head,
 * so the proof no longer leads to the root printed on the board. The verification itself is the
 * reader's, in the browser (web/src/lib/merkle-verify.ts) or by hand (docs/LEDGER.md).
 */
@Injectable()
export class CheckpointProofService {
  constructor(
    private readonly repo: VerificationRepository,
    private readonly scope: ScopeService,
  ) {}

  /** For staff: the account must be in their town (auditor, town admin) or village (village roles). */
  async proofForStaff(ctx: RequestContext, accountId: string, period?: string): Promise<CheckpointProofDto> {
    const account = await this.repo.findAccountVillage(accountId);
    if (!account) throw new AppError('LEDGER.ACCOUNT_NOT_FOUND');
    this.scope.assertVillage(ctx.principal, { id: account.villageId, townId: account.townId });
    return this.proofFor(accountId, period);
  }

  /**
   * No access check: the caller decides who may see this account's proof (staff scope above; the
   * resident page by its token). `period` absent: the latest checkpoint of the account's village.
   */
  async proofFor(accountId: string, period?: string | null): Promise<CheckpointProofDto> {
    const account = await this.repo.findAccountVillage(accountId);
    if (!account) throw new AppError('LEDGER.ACCOUNT_NOT_FOUND');
    const cp = await this.repo.findVillageCheckpoint(account.villageId, period ?? null);
    if (!cp) throw new AppError('LEDGER.CHECKPOINT_NOT_FOUND', undefined, { villageId: account.villageId, period: period ?? null });
    if (cp.version !== 2) throw new AppError('LEDGER.CHECKPOINT_WITHOUT_PROOFS', undefined, { period: cp.period, version: cp.version });
    const stored = cp.heads.find(([id]) => id === accountId);
    if (!stored) throw new AppError('LEDGER.NOT_IN_CHECKPOINT', undefined, { period: cp.period });
    const seq = stored[1];

    const chain = seq > 0 ? await this.repo.readAccountChain(accountId, seq) : [];
    let head = GENESIS_HASH;
    for (const p of chain) head = postingHash({ ...p, prevHash: head });
    const leaf: MerkleLeafFields = { villageId: cp.villageId, period: cp.period, accountId, seq, headHash: head };

    const heads = cp.heads.map(([id, s, h]) => ({ accountId: id, seq: s, headHash: h }));
    const proof = inclusionProof(cp.villageId, cp.period, heads, leaf);
    const root = cp.cycleHash ?? cp.hash;
    return {
      version: 2,
      cycleId: cp.cycleId,
      villageId: cp.villageId,
      villageName: cp.villageName,
      period: cp.period,
      finalizedAt: cp.finalizedAt,
      root,
      rootShort: shortRoot(root),
      treeSize: proof.treeSize,
      leafIndex: proof.leafIndex,
      leaf,
      leafHash: merkleLeafHash(leaf).toString('hex'),
      auditPath: proof.auditPath,
      postingsHashed: chain.length,
    };
  }
}

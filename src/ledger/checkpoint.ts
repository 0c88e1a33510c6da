import { merkleCheckpointRoot, type AccountHeadTriple } from './merkle';
import { checkpointHash } from './posting-hash';

/** Checkpoint formats (docs/LEDGER.md): 1 = flat hash over the heads, 2 = RFC 6962 Merkle root. */
export const CHECKPOINT_VERSIONS = [1, 2] as const;
export type CheckpointVersion = (typeof CHECKPOINT_VERSIONS)[number];
/** What finalize writes today. */
export const CURRENT_CHECKPOINT_VERSION: CheckpointVersion = 2;

/**
 * The checkpoint value of a village-period over its account heads, in the given format. Old
 * checkpoints keep their version and are recomputed the way they were made.
 */
export function checkpointValue(version: CheckpointVersion, villageId: string, period: string, heads: readonly AccountHeadTriple[]): string {
  switch (version) {
    case 1:
      return checkpointHash(villageId, period, heads);
    case 2:
      return merkleCheckpointRoot(villageId, period, heads);
    default:
      throw new RangeError(`unknown checkpoint version ${String(version)}`);
  }
}

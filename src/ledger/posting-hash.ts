import { createHash } from 'node:crypto';
import type { PostingKind } from './ledger.entities';

/** The prev_hash of an account's first posting (seq 1): 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version tag of the canonical encoding; a new encoding gets a new tag, never a silent change. */
export const POSTING_HASH_VERSION = 'xinyi-posting-v1';

/** The fields of a posting that its hash covers (docs/LEDGER.md, "Canonical encoding"). */
export interface HashedPostingFields {
  accountId: string;
  seq: number;
  kind: PostingKind;
  points: number;
  sourceRef: string;
  counterparty: string;
  period: string;
  itemCode?: string | null;
  memo?: string | null;
  /** Millisecond precision: the ISO string (…sss Z) is what is hashed. */
  postedAt: Date;
  prevHash: string;
}

/**
 * The exact bytes hashed: a JSON array in a fixed field order, so there is no key ordering or
 * whitespace to argue about and any language can reproduce it. Absent item code / memo are null.
 */
export function canonicalPosting(p: HashedPostingFields): string {
  return JSON.stringify([
    POSTING_HASH_VERSION,
    p.accountId,
    p.seq,
    p.kind,
    p.points,
    p.sourceRef,
    p.counterparty,
    p.period,
    p.itemCode ?? null,
    p.memo ?? null,
    p.postedAt.toISOString(),
    p.prevHash,
  ]);
}

/** SHA-256 (lower-case hex) of the UTF-8 canonical encoding. */
export function postingHash(p: HashedPostingFields): string {
  return createHash('sha256').update(canonicalPosting(p), 'utf8').digest('hex');
}

/**
 * The same hash from the posting's fields as text, posted-at already as its ISO string (the
 * verifier reads rows as text and never builds a Date): the same canonical bytes as
 * canonicalPosting, so the same hash.
 */
export function postingHashOfText(
  accountId: string,
  seq: number,
  kind: string,
  points: number,
  sourceRef: string,
  counterparty: string,
  period: string,
  itemCode: string | null,
  memo: string | null,
  postedAtIso: string,
  prevHash: string,
): string {
  const canonical = JSON.stringify([POSTING_HASH_VERSION, accountId, seq, kind, points, sourceRef, counterparty, period, itemCode, memo, postedAtIso, prevHash]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

const PG_UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as PostgreSQL prints it with TimeZone = UTC ('2026-04-10 02:03:04.5+00') to the
 * ISO string a JS Date of it gives ('2026-04-10T02:03:04.500Z'): milliseconds truncated, as
 * node-postgres's Date parsing does. Anything else (years outside 1000–9999, another zone) goes
 * through Date.
 */
export function isoOfPgUtcTimestamp(text: string): string {
  const m = PG_UTC_TIMESTAMP.exec(text);
  if (!m) return new Date(text).toISOString();
  return `${m[1]}T${m[2]}.${((m[3] ?? '') + '000').slice(0, 3)}Z`;
}

export interface AccountHead {
  accountId: string;
  seq: number;
  headHash: string;
}

/**
 * A village-period checkpoint (DESIGN.md §4.4): SHA-256 over JSON of
 * ['xinyi-checkpoint-v1', villageId, period, [[accountId, seq, headHash], …]] with the triples
 * sorted by accountId, so the order accounts were read in does not matter. Printed on the board,
 * it pins every account head of the village at finalize: a later rewrite of any earlier posting
 * changes a head and no longer matches the printed value.
 */
export function checkpointHash(villageId: string, period: string, heads: readonly AccountHead[]): string {
  const triples = heads
    .map((h) => [h.accountId, h.seq, h.headHash] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < triples.length; i++) {
    if (triples[i][0] === triples[i - 1][0]) throw new RangeError(`account ${triples[i][0]} appears twice in a checkpoint`);
  }
  return createHash('sha256').update(JSON.stringify(['xinyi-checkpoint-v1', villageId, period, triples]), 'utf8').digest('hex');
}

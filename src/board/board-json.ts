import type { BoardContent, BoardResident } from './board-content';
import { deflatePiece, inflatePiece, type DeflatedPiece } from './gzip-pieces';
import { PiecedBody, type PlainPiece } from './rendered-body';
import { LINE_STATUS_LABELS, lineStatus, toPublicBoard, toPublicResident, type BoardContext, type BoardCycle, type LiveEntryState, type LineStatus } from './board-view';

/**
 * The JSON board without building, serialising or compressing its lines on every render (issue 19).
 *
 * At publish, `publicBoardParts` writes what of the public board does not depend on the request
 * or on later events (boards.public_parts): the content without its lines as JSON on the first
 * line, an index on the second, then the `residents` array exactly as the JSON board sends it,
 * twice: once with every line's standing "approved" (the board while it is publicized) and once
 * "posted" (已入账, once the cycle is finalized). Each copy is cut between residents into pieces
 * of about PIECE_BYTES, and each piece is stored deflated on its own (gzip-pieces.ts).
 *
 * A render (`renderBoardJson`) parses only the small head and index, builds the rest of the board
 * through `toPublicBoard` as before, and answers with the copy for the cycle's state: a gzip
 * client gets the stored pieces as they are between the freshly compressed head and tail (no
 * deflate of the 1.6 MB body, no inflate either); a line whose standing is not the usual one
 * (under objection, revoked) is changed in its piece, and only that piece is compressed again.
 * The answer inflates to the same bytes as JSON.stringify(toPublicBoard(content, …)).
 */

/**
 * The format of the stored parts, kept beside them (boards.public_parts_version). Change it with
 * any change to what the JSON board sends (toPublicBoard's fields or their order) or to this
 * layout: a board whose parts have another version renders from its content, so stored bytes
 * written by an older release are never sent in a newer release's place.
 * 1: the residents text once, each line's standing a mark (until 2026-12-02).
 */
export const BOARD_PARTS_VERSION = 2;
/**
 * About how large a piece is before compression. Pieces are compressed apart, so smaller ones
 * lose back-references (the bench's 1.57 MB board: 173 KB gzipped whole, 179 KB in 256 KB
 * pieces, 199 KB in 64 KB ones) but make a changed line cheaper to compress again (≈ 2 ms per
 * 256 KB piece).
 */
const PIECE_BYTES = 256 * 1024;
/** `toPublicBoard` of content without lines: where the residents text goes. */
const NO_RESIDENTS = '"residents":[]';
const USUAL = ['approved', 'posted'] as const;
type Usual = (typeof USUAL)[number];

export type BoardHead = Omit<BoardContent, 'residents'>;
/** Per copy, per piece: [deflated length, length, CRC-32]. */
type PartsIndex = Record<Usual, Array<[number, number, number]>>;

/**
 * The stored public parts, or null when a line has no record number (content of a board
 * published before lines carried one: those are rendered from the content).
 */
export function publicBoardParts(content: BoardContent): Buffer | null {
  const { residents, ...head } = content;
  if (residents.some((r) => r.lines.some((l) => !l.recordNo))) return null;
  const copies = USUAL.map((status) => residentPieces(residents, status));
  const index = Object.fromEntries(USUAL.map((status, i) => [status, copies[i].map((p) => [p.z.length, p.n, p.crc])])) as PartsIndex;
  return Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n${JSON.stringify(index)}\n`, 'utf8'), ...copies.flat().map((p) => p.z)]);
}

/** The residents array as the JSON board writes it with every line's standing `status`, in deflated pieces cut between residents. */
function residentPieces(residents: BoardResident[], status: Usual): DeflatedPiece[] {
  const pieces: DeflatedPiece[] = [];
  let texts: string[] = ['['];
  let size = 1;
  const cut = (): void => {
    pieces.push(deflatePiece(Buffer.from(texts.join(''), 'utf8')));
    texts = [];
    size = 0;
  };
  residents.forEach((r, i) => {
    // toPublicResident: the same function toPublicBoard uses, so the bytes are the same.
    const text = `${i > 0 ? ',' : ''}${JSON.stringify(toPublicResident(r, (l) => ({ recordNo: l.recordNo ?? '', status })))}`;
    texts.push(text);
    size += Buffer.byteLength(text, 'utf8');
    if (size >= PIECE_BYTES) cut();
  });
  texts.push(']');
  cut();
  return pieces;
}

function standingText(status: LineStatus): string {
  return `"status":${JSON.stringify(status)},"statusLabel":${JSON.stringify(LINE_STATUS_LABELS[status])}`;
}

/**
 * The JSON board from its stored public parts (a PiecedBody: its gzip form is mostly the stored
 * pieces; its plain form the same bytes as Buffer.from(JSON.stringify(toPublicBoard(content, …)))).
 */
export function renderBoardJson(stored: Buffer, cycle: BoardCycle, live: LiveEntryState[], now: Date, context: BoardContext): PiecedBody {
  const first = stored.indexOf(0x0a);
  const second = stored.indexOf(0x0a, first + 1);
  if (first < 0 || second < 0) throw new Error('board parts without their head and index');
  const head = JSON.parse(stored.toString('utf8', 0, first)) as BoardHead;
  const index = JSON.parse(stored.toString('utf8', first + 1, second)) as PartsIndex;
  const text = JSON.stringify(toPublicBoard({ ...head, residents: [] }, cycle, live, now, context));
  // Unique: the one array-valued "residents" key (inside a JSON string every quote is escaped).
  const at = text.indexOf(NO_RESIDENTS);
  if (at < 0) throw new Error('board JSON without its residents key');
  const finalized = cycle.state === 'finalized';
  const usual = lineStatus(undefined, finalized) as Usual;
  let offset = second + 1;
  if (usual === 'posted') for (const [z] of index.approved) offset += z;
  const pieces: PlainPiece[] = index[usual].map(([z, n, crc]) => {
    const piece = { z: stored.subarray(offset, offset + z), n, crc };
    offset += z;
    return piece;
  });
  if (offset > stored.length) throw new Error('board parts shorter than their index');
  const changed = live.map((s) => ({ entryId: s.entryId, status: lineStatus(s, finalized) })).filter((s) => s.status !== usual);
  const lines = changed.length > 0 ? withStandings(pieces, changed, usual) : pieces;
  return new PiecedBody([plainPiece(Buffer.from(`${text.slice(0, at)}"residents":`, 'utf8')), ...lines, plainPiece(Buffer.from(text.slice(at + NO_RESIDENTS.length), 'utf8'))]);
}

function plainPiece(plain: Buffer): PlainPiece {
  return { ...deflatePiece(plain), plain };
}

/** A line's first key and the quote its id opens with (a raw quote only ever delimits a JSON string). */
const ENTRY_KEY = Buffer.from('"entryId":"', 'utf8');

/**
 * The pieces with each changed line's standing written in: a line is found by its entry id (a
 * raw `"entryId":"…"` occurs only as a line's own key, since inside a string every quote is
 * escaped), its standing is the first `"status":…` after it, in the same line. A piece with a
 * changed line is compressed again; the others are kept as stored (with their bytes, inflated to
 * look, for a client that does not take gzip). An entry not on the board changes nothing.
 */
function withStandings(pieces: PlainPiece[], changed: Array<{ entryId: string; status: LineStatus }>, usual: Usual): PlainPiece[] {
  const plains = pieces.map((p) => p.plain ?? inflatePiece(p));
  const usualText = Buffer.from(standingText(usual), 'utf8');
  const statusOf = new Map(changed.map((c) => [c.entryId, c.status]));
  const edits: Array<Array<{ at: number; text: Buffer }>> = pieces.map(() => []);
  // One pass over the lines (not one search per changed line: a board may have hundreds revoked).
  for (const [i, plain] of plains.entries()) {
    for (let line = plain.indexOf(ENTRY_KEY); line >= 0; ) {
      const from = line + ENTRY_KEY.length;
      const to = plain.indexOf(0x22, from);
      if (to < 0) throw new Error('board parts: an entry id without its closing quote');
      const next = plain.indexOf(ENTRY_KEY, to);
      const status = statusOf.get(plain.toString('utf8', from, to));
      if (status !== undefined) {
        const standing = plain.indexOf(usualText, to);
        if (standing < 0 || (next >= 0 && standing > next)) throw new Error('board parts: a line without its standing');
        edits[i].push({ at: standing, text: Buffer.from(standingText(status), 'utf8') });
      }
      line = next;
    }
  }
  return pieces.map((p, i) => {
    if (edits[i].length === 0) return { ...p, plain: plains[i] };
    const parts: Buffer[] = [];
    let pos = 0;
    for (const e of edits[i]) {
      parts.push(plains[i].subarray(pos, e.at), e.text);
      pos = e.at + usualText.length;
    }
    parts.push(plains[i].subarray(pos));
    return plainPiece(Buffer.concat(parts));
  });
}

import type { BoardContent, BoardResident } from './board-content';
import { LINE_STATUS_LABELS, lineStatus, toPublicBoard, toPublicResident, type BoardContext, type BoardCycle, type LiveEntryState, type LineStatus } from './board-view';

/**
 * The JSON board without parsing and re-serialising its lines on every render (issue 19).
 *
 * At publish, `publicBoardParts` writes what of the public board does not depend on the request
 * or on later events (boards.public_parts, UTF-8 bytes): the content without its lines as JSON
 * on the first line, then the `residents` array exactly as the JSON board sends it, except that
 * each line's live standing (`status`, `statusLabel`: approved / disputed / 撤销 / 已入账) is a
 * mark U+0001 <entry id> U+0001. A render (`renderBoardJson`) parses only the small first line,
 * builds the rest of the board through `toPublicBoard` as before, and splices the stored
 * residents bytes in with each mark replaced by the line's standing now. JSON.stringify writes a
 * control character inside a string as an escape (\u0001), never raw, so a raw U+0001 in the
 * text is always a mark. The answer is the same bytes as JSON.stringify(toPublicBoard(content, …)).
 */
const MARK = '\u0001';
/**
 * The format of the stored parts, kept beside them (boards.public_parts_version). Change it with
 * any change to what the JSON board sends (toPublicBoard's fields or their order, the mark): a
 * board whose parts have another version renders from its content, so stored bytes written by
 * an older release are never sent in a newer release's place.
 */
export const BOARD_PARTS_VERSION = 1;
const MARK_BYTE = 0x01;
/** `toPublicBoard` of content without lines: where the stored residents text goes. */
const NO_RESIDENTS = '"residents":[]';

export type BoardHead = Omit<BoardContent, 'residents'>;

/**
 * The stored text of a board's public parts, or null when a line has no record number (content
 * of a board published before lines carried one: those are rendered from the content).
 */
export function publicBoardParts(content: BoardContent): Buffer | null {
  const { residents, ...head } = content;
  if (residents.some((r) => r.lines.some((l) => !l.recordNo))) return null;
  return Buffer.from(`${JSON.stringify(head)}\n[${residents.map(residentText).join(',')}]`, 'utf8');
}

/**
 * One resident as the JSON board writes it (toPublicResident, the same function toPublicBoard
 * uses), each line's standing written as `approved` and then replaced by its mark. The last
 * `"status":"approved","statusLabel":…` of a line is its own: inside a string every quote is
 * escaped, and only pointsLabel (no quote in it) comes after.
 */
function residentText(r: BoardResident): string {
  const placeholder = standingText('approved');
  const resident = toPublicResident(r, (l) => ({ recordNo: l.recordNo ?? '', status: 'approved' }));
  const lines = resident.lines.map((l) => {
    const text = JSON.stringify(l);
    const at = text.lastIndexOf(placeholder);
    return `${text.slice(0, at)}${MARK}${l.entryId}${MARK}${text.slice(at + placeholder.length)}`;
  });
  // `{"name":…,"total":…,"lines":[]}` with the lines put between the brackets.
  return `${JSON.stringify({ ...resident, lines: [] }).slice(0, -2)}${lines.join(',')}]}`;
}

function standingText(status: LineStatus): string {
  return `"status":${JSON.stringify(status)},"statusLabel":${JSON.stringify(LINE_STATUS_LABELS[status])}`;
}

/**
 * The JSON board (UTF-8) from its stored public parts: the same bytes as
 * Buffer.from(JSON.stringify(toPublicBoard(content, …))). The residents part is copied as the
 * stored bytes, never decoded or encoded: in UTF-8 the bytes 0x01 and 0x0a are only ever the
 * characters U+0001 and newline (every byte of a longer character is ≥ 0x80).
 */
export function renderBoardJson(stored: Buffer, cycle: BoardCycle, live: LiveEntryState[], now: Date, context: BoardContext): Buffer {
  const split = stored.indexOf(0x0a);
  const head = JSON.parse(stored.toString('utf8', 0, split)) as BoardHead;
  const text = JSON.stringify(toPublicBoard({ ...head, residents: [] }, cycle, live, now, context));
  // Unique: the one array-valued "residents" key (inside a JSON string every quote is escaped).
  const at = text.indexOf(NO_RESIDENTS);
  if (at < 0) throw new Error('board JSON without its residents key');
  const finalized = cycle.state === 'finalized';
  const byEntry = new Map(live.map((s) => [s.entryId, s]));
  const standings = new Map<LineStatus, Buffer>();
  const standing = (status: LineStatus): Buffer => {
    let b = standings.get(status);
    if (!b) standings.set(status, (b = Buffer.from(standingText(status), 'utf8')));
    return b;
  };
  const usual = standing(lineStatus(undefined, finalized));
  // First where the marks are and what replaces each, then one copy into a buffer of the exact size.
  const before = Buffer.from(`${text.slice(0, at)}"residents":`, 'utf8');
  const after = Buffer.from(text.slice(at + NO_RESIDENTS.length), 'utf8');
  const marks: number[] = [];
  const standingOf: Buffer[] = [];
  let size = before.length + after.length + stored.length - split - 1;
  for (let open = stored.indexOf(MARK_BYTE, split + 1); open >= 0; ) {
    const close = stored.indexOf(MARK_BYTE, open + 1);
    if (close < 0) throw new Error('board parts with an unclosed mark');
    const s = byEntry.size === 0 ? undefined : byEntry.get(stored.toString('latin1', open + 1, close));
    const b = s ? standing(lineStatus(s, finalized)) : usual;
    marks.push(open, close);
    standingOf.push(b);
    size += b.length - (close - open + 1);
    open = stored.indexOf(MARK_BYTE, close + 1);
  }
  const out = Buffer.allocUnsafe(size);
  out.set(before, 0);
  let o = before.length;
  let pos = split + 1;
  for (let i = 0; i < standingOf.length; i++) {
    out.set(stored.subarray(pos, marks[2 * i]), o);
    o += marks[2 * i] - pos;
    out.set(standingOf[i], o);
    o += standingOf[i].length;
    pos = marks[2 * i + 1] + 1;
  }
  out.set(stored.subarray(pos), o);
  out.set(after, o + stored.length - pos);
  return out;
}

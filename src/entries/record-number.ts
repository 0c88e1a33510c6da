/**
 * The record number (记录编号) printed beside every line of the board and quoted by objections:
 * `<village code>-<yymm of the entry's period>-<sequence within the village-period>`, e.g.
 * DC-2611-0042. Assigned once, when the entry is created (EntriesRepository.insertEntries), and
 * stored with the entry's immutable content, so the clerk's confirmation, the review sheet the
 * meeting reads, the board and an objection all carry the same number and nothing can renumber
 * it later (docs/ARCHITECTURE.md, "Record numbers"). Village codes are unique within a town and
 * never change, so the number is unique within the town (a unique index is the backstop).
 */
export const RECORD_NUMBER_PATTERN = /^([A-Z0-9]{2,8})-(\d{2})(0[1-9]|1[0-2])-(\d{4,})$/;

/** At least four digits; a village-period past 9,999 entries simply gets longer numbers. */
export function formatRecordNumber(villageCode: string, period: string, seq: number): string {
  return `${villageCode}-${period.slice(2, 4)}${period.slice(5, 7)}-${String(seq).padStart(4, '0')}`;
}

/**
 * What a resident types (or a QR fills in) to the canonical form, or null when it cannot be a
 * record number: case and full-width characters (Ｄ，－ from a phone keyboard in Chinese mode)
 * and surrounding spaces are forgiven, and a short sequence is padded (DC-2611-42).
 */
export function normalizeRecordNumber(input: string): string | null {
  const ascii = input
    .normalize('NFKC')
    .trim()
    .toUpperCase()
    .replace(/[\u2010-\u2015\u2212\u30fc]/gu, '-')
    .replace(/\s+/gu, '');
  const m = /^([A-Z0-9]{2,8})-(\d{4})-(\d{1,9})$/.exec(ascii);
  if (!m) return null;
  const month = Number(m[2].slice(2));
  if (month < 1 || month > 12) return null;
  const seq = Number(m[3]);
  if (seq < 1) return null;
  return `${m[1]}-${m[2]}-${String(seq).padStart(4, '0')}`;
}

/** An objection's number: its record number and the count of objections to that record, e.g. DC-2611-0042-Y1. */
export function formatObjectionNumber(recordNo: string, nth: number): string {
  return `${recordNo}-Y${nth}`;
}

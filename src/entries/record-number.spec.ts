import { describe, expect, it } from 'vitest';
import { formatObjectionNumber, formatRecordNumber, normalizeRecordNumber, RECORD_NUMBER_PATTERN } from './record-number';

describe('record numbers', () => {
  it('are village code, yymm of the period and a four-digit sequence, longer past 9999', () => {
    expect(formatRecordNumber('DC', '2026-11', 42)).toBe('DC-2611-0042');
    expect(formatRecordNumber('XC01', '2027-01', 1)).toBe('XC01-2701-0001');
    expect(formatRecordNumber('DC', '2026-11', 12345)).toBe('DC-2611-12345');
    for (const n of ['DC-2611-0042', 'XC01-2701-0001', 'DC-2611-12345']) expect(n).toMatch(RECORD_NUMBER_PATTERN);
  });

  it('forgive case, spaces, full-width characters and a short sequence; refuse what cannot be one', () => {
    expect(normalizeRecordNumber(' dc-2611-42 ')).toBe('DC-2611-0042');
    expect(normalizeRecordNumber('ＤＣ－２６１１－００４２')).toBe('DC-2611-0042');
    expect(normalizeRecordNumber('DC—2611—0042')).toBe('DC-2611-0042');
    expect(normalizeRecordNumber('DC - 2611 - 0042')).toBe('DC-2611-0042');
    for (const bad of ['', 'DC', 'DC-2613-0001', 'DC-2600-0001', 'DC-2611-0000', 'D-2611-0001', 'DC-26110-0001', '11111111-1111-4111-8111-111111111111', 'DC-2611-00a2']) {
      expect(normalizeRecordNumber(bad), bad).toBeNull();
    }
  });

  it('number an objection after its record', () => {
    expect(formatObjectionNumber('DC-2611-0042', 2)).toBe('DC-2611-0042-Y2');
  });
});

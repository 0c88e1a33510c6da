import { describe, expect, it } from 'vitest';
import { jobIds } from './job-ids';

describe('jobIds', () => {
  const village = '3f0c7c1e-0000-4000-8000-000000000001';
  const at = new Date('2026-12-01T10:00:30.500Z');

  it('spells the deterministic ids the way jobs, reconcile and the bench rely on', () => {
    expect(jobIds.close(village, '2026-11')).toBe(`close-${village}-2026-11`);
    expect(jobIds.finalize(village, '2026-11')).toBe(`finalize-${village}-2026-11`);
    expect(jobIds.townExport('t1')).toBe('export-t1');
    expect(jobIds.reconcileExport(at)).toBe(`export-reconcile-${Math.floor(at.getTime() / 60_000)}`);
    expect(jobIds.noticesAt(at)).toBe(`notices-at-${Math.ceil(at.getTime() / 1000)}`);
    expect(jobIds.yearEnd('t1', 2026)).toBe('ledger-year-end-t1-2026');
    // The heartbeat status endpoint validates the id it is given against this shape (system.dto.ts).
    expect(jobIds.heartbeat('2f0c7c1e-0000-4000-8000-000000000001')).toMatch(/^heartbeat-[0-9a-f-]{8,36}$/);
  });

  it('one reconcile export per minute', () => {
    expect(jobIds.reconcileExport(new Date('2026-12-01T10:00:01Z'))).toBe(jobIds.reconcileExport(new Date('2026-12-01T10:00:59Z')));
    expect(jobIds.reconcileExport(new Date('2026-12-01T10:00:59Z'))).not.toBe(jobIds.reconcileExport(new Date('2026-12-01T10:01:00Z')));
  });

  it('never makes an id BullMQ refuses (all digits, or with a colon)', () => {
    const ids = [
      jobIds.close(village, '2026-11'),
      jobIds.finalize(village, '2026-11'),
      jobIds.townExport(village),
      jobIds.reconcileExport(at),
      jobIds.reconcileAfterInstall(1234, at),
      jobIds.noticesAt(at),
      jobIds.noticesRetry(at),
      jobIds.yearEnd(village, 2026),
      jobIds.heartbeat(village),
    ];
    for (const id of ids) {
      expect(id).not.toMatch(/^\d+$/);
      expect(id).not.toContain(':');
    }
  });
});

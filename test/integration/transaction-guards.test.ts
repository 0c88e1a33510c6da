import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '@app/audit/audit.service';
import { CreditExportService } from '@app/credit-export/credit-export.service';
import { EntryStatesService } from '@app/entries/entry-states.service';
import { NoticesService } from '@app/notices/notices.service';
import { CycleGateService } from '@app/review/cycle-gate.service';
import { startStack, type TestStack } from '../support/app';
import { seedTown, type TownFixture } from '../support/fixtures';

/**
 * The writers that promise to commit with their cause or not at all (src/database/sql.ts
 * `requireTransaction`) refuse the pool's manager and a manager whose transaction has ended, on
 * the real TypeORM managers, and write nothing then.
 */
describe('outbox-style writers run only inside their cause’s transaction', () => {
  let stack: TestStack;
  let f: TownFixture;
  /** A manager that escaped its transaction: the transaction has committed. */
  let ended: EntityManager;

  const refused = (write: () => Promise<unknown>) => expect((async () => write())()).rejects.toThrow(/must run inside the transaction of what causes it/);
  const count = async (sql: string, params: unknown[]) => (await stack.db.query(sql, params))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
    ended = await stack.db.transaction(async (m) => m);
  });
  afterAll(async () => stack?.close());

  it('audit.record given a manager: refused outside a transaction, written inside one and without a manager', async () => {
    const audit = stack.api.get(AuditService);
    const rec = { action: 'guard.probe', townId: f.townId };
    await refused(() => audit.record(null, rec, stack.db.manager));
    await refused(() => audit.recordPublic({ requestId: 'r', clientIp: '127.0.0.1' }, f.townId, rec, ended));
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'guard.probe'`, [])).toBe(0);
    await stack.db.transaction((m) => audit.record(null, rec, m));
    await audit.record(null, rec);
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'guard.probe'`, [])).toBe(2);
  });

  it('a notice: refused outside a transaction, nothing written', async () => {
    const notices = stack.api.get(NoticesService);
    const r = { residentId: f.residentsA[0], redemptionId: randomUUID(), shopName: '测试超市', points: 5, balance: 10, receiptNo: 'R-GUARD-1' };
    await refused(() => notices.recordRedemption(stack.db.manager, r));
    await refused(() => notices.recordRedemption(ended, r));
    expect(await count(`SELECT count(*)::int AS n FROM notices WHERE resident_id = $1`, [f.residentsA[0]])).toBe(0);
  });

  it('a credit-export outbox row and an entry’s state or event: refused outside a transaction', async () => {
    await refused(() => stack.api.get(CreditExportService).enqueuePostings(stack.db.manager, [{ id: '1', townId: randomUUID(), villageId: randomUUID(), period: '2026-01' }]));
    const states = stack.api.get(EntryStatesService);
    await refused(() => states.clearDispute(stack.db.manager, randomUUID()));
    await refused(() => states.markDisputed(ended, f.townId, randomUUID(), randomUUID(), '理由'));
    await refused(() => states.recordPostedEvents(stack.db.manager, f.townId, [], []));
  });

  it('an entry’s cycle lock: refused outside a transaction, no cycle made; inside one it makes and locks the cycle', async () => {
    const gate = stack.api.get(CycleGateService);
    const cycles = () => count(`SELECT count(*)::int AS n FROM review_cycles WHERE village_id = $1 AND period = '2019-01'`, [f.villageA]);
    await refused(() => gate.lockForEntry(stack.db.manager, f.townId, f.villageA, '2019-01'));
    await refused(() => gate.lockForEntry(ended, f.townId, f.villageA, '2019-01'));
    expect(await cycles()).toBe(0);
    expect(await stack.db.transaction((m) => gate.lockForEntry(m, f.townId, f.villageA, '2019-01'))).toBe('open');
    expect(await cycles()).toBe(1);
  });
});

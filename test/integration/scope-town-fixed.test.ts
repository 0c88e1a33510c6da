import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthRepository } from '@app/auth/auth.repository';
import { AuditorRepository } from '@app/auditor/auditor.repository';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/**
 * A village's and a shop's town, and a resident's village, never change (PostgreSQL refuses it),
 * so the scope check keeps what it found instead of reading it on every scoped request.
 */
describe('the town of a village, shop or resident: fixed in PostgreSQL, remembered by the scope check', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  const sqlState = (p: Promise<unknown>) => p.then(
    () => 'ok',
    (e: { driverError?: { code?: string }; code?: string }) => e.driverError?.code ?? e.code,
  );

  it('PostgreSQL refuses moving a village or shop to another town, changing its id or deleting it (55A01); other columns change', async () => {
    for (const [table, id] of [['villages', f.villageA], ['shops', f.shopA]] as const) {
      expect(await sqlState(stack.db.query(`UPDATE ${table} SET town_id = $2 WHERE id = $1`, [id, f.otherTownId]))).toBe('55A01');
      expect(await sqlState(stack.db.query(`UPDATE ${table} SET id = gen_random_uuid() WHERE id = $1`, [id]))).toBe('55A01');
      expect(await sqlState(stack.db.query(`DELETE FROM ${table} WHERE id = $1`, [id]))).toBe('55A01');
      expect(await sqlState(stack.db.query(`UPDATE ${table} SET town_id = town_id, name = name || '' WHERE id = $1`, [id]))).toBe('ok');
      const [row] = await stack.db.query(`SELECT town_id::text AS town FROM ${table} WHERE id = $1`, [id]);
      expect(row.town).toBe(f.townId);
    }
  });

  it('a village is read once, then its town is remembered; out of scope and not found answer as before', async () => {
    const repo = stack.api.get(AuthRepository);
    const spy = vi.spyOn(repo, 'villageRef');
    try {
      const entries = (village: string, who: FixtureUser) => request(stack.http).get(`/api/v1/villages/${village}/entries`).set('authorization', t[who]);
      await entries(f.villageB, 'clerk_b').expect(200);
      const reads = spy.mock.calls.filter(([id]) => id === f.villageB).length;
      expect(reads).toBeLessThanOrEqual(1);
      await entries(f.villageB, 'clerk_b').expect(200);
      await entries(f.villageB, 'town_admin').expect(200);
      expect(spy.mock.calls.filter(([id]) => id === f.villageB).length).toBe(reads);
      // Remembered or not, another village's clerk and another town's admin are refused.
      expect((await entries(f.villageB, 'village_clerk').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await entries(f.villageB, 'other_town_admin').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      // A village that does not exist is not remembered: read each time, 404 each time.
      const missing = '00000000-0000-4000-8000-00000000abcd';
      for (let i = 0; i < 2; i++) expect((await entries(missing, 'town_admin').expect(404)).body.code).toBe('ORG.VILLAGE_NOT_FOUND');
      expect(spy.mock.calls.filter(([id]) => id === missing).length).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('PostgreSQL refuses moving a resident to another village or town, changing their id or deleting them (55A01); name and phone change', async () => {
    const who = f.residentsA[0];
    expect(await sqlState(stack.db.query(`UPDATE residents SET village_id = $2 WHERE id = $1`, [who, f.villageB]))).toBe('55A01');
    expect(await sqlState(stack.db.query(`UPDATE residents SET town_id = $2 WHERE id = $1`, [who, f.otherTownId]))).toBe('55A01');
    expect(await sqlState(stack.db.query(`UPDATE residents SET id = gen_random_uuid() WHERE id = $1`, [who]))).toBe('55A01');
    expect(await sqlState(stack.db.query(`DELETE FROM residents WHERE id = $1`, [who]))).toBe('55A01');
    expect(await sqlState(stack.db.query(`UPDATE residents SET name = name || '', phone = phone, village_id = village_id WHERE id = $1`, [who]))).toBe('ok');
  });

  it('a resident filter of the postings search reads the resident once; out of scope and not found answer as before', async () => {
    const repo = stack.api.get(AuditorRepository);
    const spy = vi.spyOn(repo, 'findResidentTown');
    try {
      const search = (resident: string, who: FixtureUser) => request(stack.http).get(`/api/v1/audit/postings?residentId=${resident}`).set('authorization', t[who]);
      const who = f.residentsA[0];
      await search(who, 'auditor').expect(200);
      const reads = spy.mock.calls.filter(([id]) => id === who).length;
      expect(reads).toBeLessThanOrEqual(1);
      await search(who, 'auditor').expect(200);
      await search(who, 'town_admin').expect(200);
      expect(spy.mock.calls.filter(([id]) => id === who).length).toBe(reads);
      expect((await search(who, 'other_town_admin').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      const missing = '00000000-0000-4000-8000-00000000dcba';
      for (let i = 0; i < 2; i++) expect((await search(missing, 'auditor').expect(404)).body.code).toBe('RESIDENT.NOT_FOUND');
      expect(spy.mock.calls.filter(([id]) => id === missing).length).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import type { TestStack } from '../support/app';
import { explainWith, spawnApi, spawnBuilt, stopSpawned } from '../support/processes';
import { OwnServices } from '../support/services';
import { waitFor } from '../support/wait-for';
import { publishMonth, villageA } from '../integration/board-helpers';

/**
 * A streaming standby started by scripts/services.sh (issue 19): statements, auditors' searches and
 * the public board read from it; whoever just wrote, and whoever reads a board that just changed,
 * never sees it stale; a standby that stops costs nothing but the fallback. Replay is paused on the
 * standby to make "stale" certain instead of a matter of timing.
 */
describe('read replica: reads from the standby, read-your-writes, fallback', () => {
  const own = new OwnServices();
  let db: DataSource;
  let standby: DataSource;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const residentsOnStandby = async () => Number((await standby.query(`SELECT count(*) FROM residents`))[0].count);

  beforeAll(async () => {
    own.start();
    expect((await spawnBuilt('database/cli', ['migrate'], { DATABASE_URL: own.databaseUrl }).exited).code).toBe(0);
    db = await new DataSource(dataSourceOptions(own.databaseUrl, 4)).initialize();
    f = await seedTown(db, 3);
    own.startReplica();
    standby = await new DataSource({ ...dataSourceOptions(own.replicaUrl, 2), entities: [], migrations: [] }).initialize();
    const seeded = Number((await db.query(`SELECT count(*) FROM residents`))[0].count);
    await waitFor(async () => (await residentsOnStandby()) === seeded, { timeoutMs: 30_000, description: 'standby caught up' });
    api = await spawnApi({ DATABASE_URL: own.databaseUrl, DATABASE_REPLICA_URL: own.replicaUrl, REDIS_URL: own.redisUrl, LOG_LEVEL: 'info', QUEUE_PREFIX: 'replica', BOARD_CACHE_MS: '0' });
    await explainWith([api], async () => {
      await waitFor(() => api.output().includes('read replica is answering'), { timeoutMs: 30_000, description: 'api sees the standby' });
      t = await bearers(api.url, f);
    });
  }, 180_000);

  afterAll(async () => {
    try {
      await stopSpawned(api);
      await standby?.destroy().catch(() => undefined);
      await db?.destroy();
    } finally {
      own.destroy();
    }
  });

  const statement = (who: string, residentId: string) =>
    request(api.url).get(`/api/v1/audit/residents/${residentId}/statement`).set('authorization', who).expect(200).then((r) => r.body as { currentBalance: number; lines: unknown[] });
  const adminStatement = (residentId: string) =>
    request(api.url).get(`/api/v1/residents/${residentId}/statement`).set('authorization', t.town_admin).expect(200).then((r) => r.body as { currentBalance: number; lines: unknown[] });

  it('a writer reads their own write at once; another reader gets the standby (stale while it is paused) until it replays', async () => {
    const resident = f.residentsA[0];
    expect((await statement(t.auditor, resident)).currentBalance).toBe(0);
    await standby.query(`SELECT pg_wal_replay_pause()`);
    await request(api.url)
      .post('/api/v1/ledger/opening-balances')
      .set('authorization', t.town_admin)
      .send({ sourceDocument: '纸质台账', lines: [{ residentId: resident, points: 37 }] })
      .expect(201);
    // The town admin wrote it: their read goes to the primary, whatever the standby has.
    expect((await adminStatement(resident)).currentBalance).toBe(37);
    // The auditor did not: the read really is on the standby, which has not replayed it.
    expect((await statement(t.auditor, resident)).currentBalance).toBe(0);
    await standby.query(`SELECT pg_wal_replay_resume()`);
    await waitFor(async () => (await statement(t.auditor, resident)).currentBalance === 37, { timeoutMs: 10_000, description: 'standby replays the opening balance' });
  });

  it('a board just published is on the public board at once, though the standby has not replayed it', async () => {
    await standby.query(`SELECT pg_wal_replay_pause()`);
    try {
      const http = api.url as unknown as TestStack['http'];
      const { period } = await publishMonth({ http } as TestStack, t, villageA(f, t), [{ residentId: f.residentsA[1], itemCode: 'T10' }]);
      const board = await fetch(`${api.url}/api/v1/public/boards/${f.villageA}/${period}`);
      expect(board.status).toBe(200);
      // The standby indeed has no board yet: without the board's WAL position the read would 404.
      expect(Number((await standby.query(`SELECT count(*) FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, period]))[0].count)).toBe(0);
    } finally {
      await standby.query(`SELECT pg_wal_replay_resume()`);
    }
  });

  it('a standby that stops: reads fall back to the primary and keep answering', async () => {
    await standby.destroy();
    own.stopReplica();
    const resident = f.residentsA[2];
    await request(api.url)
      .post('/api/v1/ledger/opening-balances')
      .set('authorization', t.town_admin)
      .send({ sourceDocument: '纸质台账', lines: [{ residentId: resident, points: 12 }] })
      .expect(201);
    for (let i = 0; i < 5; i++) expect((await statement(t.auditor, resident)).currentBalance).toBe(12);
    const search = await request(api.url).get('/api/v1/audit/postings').query({ residentId: resident }).set('authorization', t.auditor);
    expect(search.status).toBe(200);
    expect(search.body.items).toHaveLength(1);
  });
});

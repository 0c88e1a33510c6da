import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { nationalIdCheckChar } from '@app/org/national-id';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { explainWith, spawnApi, spawnBuilt, stopSpawned } from '../support/processes';
import { OwnServices } from '../support/services';
import { waitFor } from '../support/wait-for';

/**
 * The town dashboard and the look-ups (town-wide resident search, a village's households, a
 * household's page) read from the streaming standby when there is one. Replay is paused on the
 * standby so that "served by the standby" is certain: a reader who did not write sees the
 * standby's older state; whoever wrote sees their write at once (the primary); a standby that
 * stops costs nothing but the fallback.
 */
describe('read replica: dashboard and look-ups from the standby, read-your-writes, fallback', () => {
  const own = new OwnServices();
  let db: DataSource;
  let standby: DataSource;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let period: string;
  const get = (who: FixtureUser, path: string, query: Record<string, string> = {}) =>
    request(api.url).get(`/api/v1${path}`).query(query).set('authorization', t[who]).expect(200).then((r) => r.body);
  const villageA = async (who: FixtureUser) =>
    ((await get(who, '/towns/current/dashboard', { period })).villages as Array<{ villageId: string; state: string | null; entries: number }>).find((v) => v.villageId === f.villageA)!;
  const onStandby = async (sql: string, params: unknown[]) => Number((await standby.query(sql, params))[0].n);

  beforeAll(async () => {
    own.start();
    expect((await spawnBuilt('database/cli', ['migrate'], { DATABASE_URL: own.databaseUrl }).exited).code).toBe(0);
    db = await new DataSource(dataSourceOptions(own.databaseUrl, 4)).initialize();
    f = await seedTown(db, 3);
    own.startReplica();
    standby = await new DataSource({ ...dataSourceOptions(own.replicaUrl, 2), entities: [], migrations: [] }).initialize();
    const seeded = Number((await db.query(`SELECT count(*) FROM residents`))[0].count);
    await waitFor(async () => (await onStandby(`SELECT count(*) AS n FROM residents`, [])) === seeded, { timeoutMs: 30_000, description: 'standby caught up' });
    api = await spawnApi({ DATABASE_URL: own.databaseUrl, DATABASE_REPLICA_URL: own.replicaUrl, REDIS_URL: own.redisUrl, LOG_LEVEL: 'info', QUEUE_PREFIX: 'replicadash' });
    await explainWith([api], async () => {
      await waitFor(() => api.output().includes('read replica is answering'), { timeoutMs: 30_000, description: 'api sees the standby' });
      t = await bearers(api.url, f);
    });
    // One entry of this month in village A, replayed everywhere: the cycle is open.
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const e = await request(api.url).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', t.village_clerk).send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: today }).expect(201);
    period = e.body.period;
    await waitFor(async () => (await villageA('auditor')).entries === 1, { timeoutMs: 10_000, description: 'standby has the entry' });
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

  it('the dashboard: the admin who closed a cycle sees it closed at once; the auditor reads the paused standby until it replays', async () => {
    expect(await villageA('town_admin')).toMatchObject({ state: 'open', entries: 1 });
    await standby.query(`SELECT pg_wal_replay_pause()`);
    try {
      await request(api.url).post(`/api/v1/villages/${f.villageA}/cycles/${period}/close`).set('authorization', t.town_admin).expect(200);
      // Written by the town admin: their dashboard is read on the primary.
      expect(await villageA('town_admin')).toMatchObject({ state: 'closed', entries: 1 });
      // Not by the auditor: theirs really is the standby's, which has not replayed the close.
      expect(await villageA('auditor')).toMatchObject({ state: 'open', entries: 1 });
      expect(await onStandby(`SELECT count(*) AS n FROM review_cycles WHERE village_id = $1 AND period = $2 AND state = 'closed'`, [f.villageA, period])).toBe(0);
    } finally {
      await standby.query(`SELECT pg_wal_replay_resume()`);
    }
    await waitFor(async () => (await villageA('auditor')).state === 'closed', { timeoutMs: 10_000, description: 'standby replays the close' });
  });

  it('look-ups: a household and a resident the admin just made are in their own search and lists at once, not yet in the auditor’s', async () => {
    await standby.query(`SELECT pg_wal_replay_pause()`);
    try {
      const hh = await request(api.url).post(`/api/v1/villages/${f.villageB}/households`).set('authorization', t.town_admin).send({ code: 'RR-001' }).expect(201);
      const id17 = '11010119900307456';
      const created = await request(api.url)
        .post(`/api/v1/villages/${f.villageB}/residents`)
        .set('authorization', t.town_admin)
        .send({ householdId: hh.body.id, name: '备库测试', nationalId: id17 + nationalIdCheckChar(id17) })
        .expect(201);
      const households = (who: FixtureUser) => get(who, `/villages/${f.villageB}/households`).then((rows: Array<{ code: string; residentCount: number }>) => rows.find((h) => h.code === 'RR-001'));
      const search = (who: FixtureUser) => get(who, '/residents', { q: '备库测试' }).then((r: { items: Array<{ id: string }> }) => r.items.map((i) => i.id));

      expect(await search('town_admin')).toEqual([created.body.id]);
      expect(await households('town_admin')).toMatchObject({ residentCount: 1 });
      expect((await get('town_admin', `/households/${hh.body.id}`)).members.map((m: { id: string }) => m.id)).toEqual([created.body.id]);
      // The auditor wrote nothing: the standby answers, without them.
      expect(await search('auditor')).toEqual([]);
      expect(await households('auditor')).toBeUndefined();
      expect((await request(api.url).get(`/api/v1/households/${hh.body.id}`).set('authorization', t.auditor)).status).toBe(404);
    } finally {
      await standby.query(`SELECT pg_wal_replay_resume()`);
    }
    await waitFor(async () => (await get('auditor', '/residents', { q: '备库测试' })).items.length === 1, { timeoutMs: 10_000, description: 'standby replays the resident' });
  });

  it('a standby that stops: the dashboard and the look-ups fall back to the primary with what it has', async () => {
    await standby.destroy();
    own.stopReplica();
    // Written after the standby went away, by a clerk: only the primary has it.
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    await request(api.url).post(`/api/v1/villages/${f.villageB}/entries`).set('authorization', t.clerk_b).send({ residentId: f.residentsB[0], itemCode: 'B02', occurredOn: today }).expect(201);
    for (let i = 0; i < 3; i++) {
      const d = await get('auditor', '/towns/current/dashboard', { period });
      expect(d.villages.find((v: { villageId: string }) => v.villageId === f.villageB).entries).toBe(1);
      expect((await get('auditor', '/residents', { q: '备库测试' })).items).toHaveLength(1);
    }
  });
});

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { shanghaiDate } from '@app/common/time';
import { dataSourceOptions } from '@app/database/data-source-options';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { explainWith, spawnApi, spawnBuilt, stopSpawned, type Spawned } from '../support/processes';
import { OwnServices } from '../support/services';
import { waitFor } from '../support/wait-for';

/**
 * Outages against real processes on servers of this file's own: Redis stopped while the api
 * serves, and PostgreSQL restarted under a load of redemptions.
 */
describe('outages: Redis down while serving, PostgreSQL restarted under load', () => {
  const own = new OwnServices();
  let db: DataSource;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let worker: Spawned;
  let url: string;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let apiKey: string;
  let goodsId: string;
  const cards: string[] = [];
  const health = () => fetch(`${url}/health`).then(async (r) => ({ status: r.status, body: (await r.json()) as { details: Record<string, { status: string }> } }));

  beforeAll(async () => {
    own.start();
    expect((await spawnBuilt('database/cli', ['migrate'], { DATABASE_URL: own.databaseUrl }).exited).code).toBe(0);
    db = await new DataSource(dataSourceOptions(own.databaseUrl, 4)).initialize();
    f = await seedTown(db, 40);
    const env = { DATABASE_URL: own.databaseUrl, REDIS_URL: own.redisUrl, LOG_LEVEL: 'error', LOGIN_RATE_LIMIT_PER_MINUTE: '1000', QUEUE_PREFIX: 'outage' };
    api = await spawnApi(env);
    url = api.url;
    worker = spawnBuilt('worker', [], { ...env, LOG_LEVEL: 'info' });
    // A failure from here on says what the api and the worker printed.
    await explainWith([api, worker], async () => {
      await waitFor(async () => (await health()).status === 200, { timeoutMs: 30_000, description: 'api healthy' });
      await waitFor(() => worker.output().includes('workers started'), { timeoutMs: 30_000, description: 'worker up' });
      t = await bearers(url, f);
      apiKey = (await request(url).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: 'outage' }).expect(201)).body.apiKey;
      goodsId = (await request(url).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name: '毛巾', unit: '条', pricePoints: 1 }).expect(201)).body.id;
      await request(url).post(`/api/v1/goods/${goodsId}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: 100_000, reason: '进货' }).expect(200);
      await request(url)
        .post('/api/v1/ledger/opening-balances')
        .set('authorization', t.town_admin)
        .send({ sourceDocument: '纸质台账', lines: f.residentsA.map((residentId) => ({ residentId, points: 1000 })) })
        .expect(201);
    });
    for (const r of f.residentsA) cards.push((await db.query(`SELECT card_code FROM residents WHERE id = $1`, [r]))[0].card_code);
  }, 120_000);

  afterAll(async () => {
    try {
      await Promise.all([stopSpawned(api), stopSpawned(worker)]);
      await db?.destroy();
    } finally {
      own.destroy();
    }
  });

  it('with Redis stopped, entries and redemptions keep working, /health says so, and jobs resume when it returns', async () => {
    own.stopOnly('redis');
    // The api learns of the closed connection asynchronously (a fresh-clone CI run once asked in
    // between and got 200): /health must say so within a moment, not necessarily at once.
    const h = await waitFor(
      async () => {
        const r = await health();
        return r.status === 503 ? r : undefined;
      },
      { timeoutMs: 5_000, description: '/health to report Redis down' },
    );
    expect(h.status).toBe(503);
    expect([h.body.details.database.status, h.body.details.redis.status]).toEqual(['up', 'down']);

    const entry = await request(url)
      .post(`/api/v1/villages/${f.villageA}/entries`)
      .set('authorization', t.village_clerk)
      .send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: shanghaiDate(new Date()) });
    expect(entry.status).toBe(201);
    const sale = await request(url).post('/api/v1/terminal/redemptions').set('x-api-key', apiKey).send({ cardCode: cards[0], lines: [{ goodsId, quantity: 1 }], idempotencyKey: 'redis-down-0001' });
    expect(sale.status).toBe(201);
    const hb = await request(url).post('/api/v1/system/heartbeat').set('authorization', t.town_admin).expect(202);
    expect(hb.body.queued).toBe(false);

    own.startOnly('redis');
    await waitFor(async () => (await health()).status === 200, { timeoutMs: 20_000, description: 'health back' });
    const hb2 = await waitFor(
      async () => {
        const r = await request(url).post('/api/v1/system/heartbeat').set('authorization', t.town_admin);
        return r.body.queued ? r.body : undefined;
      },
      { timeoutMs: 20_000, description: 'enqueue to work again' },
    );
    await waitFor(async () => (await request(url).get(`/api/v1/system/heartbeat/${hb2.jobId}`).set('authorization', t.town_admin)).body.processed, {
      timeoutMs: 30_000,
      description: 'the worker to process jobs again',
    });
  });

  it('PostgreSQL restarted under load: in-flight requests fail 503 with a stable code, none half-applied, the api recovers', async () => {
    let stop = false;
    const outcomes: Array<{ status: number; code?: string }> = [];
    let n = 0;
    const loop = async (i: number) => {
      while (!stop) {
        const res = await request(url)
          .post('/api/v1/terminal/redemptions')
          .set('x-api-key', apiKey)
          .send({ cardCode: cards[(i + n) % cards.length], lines: [{ goodsId, quantity: 1 }], idempotencyKey: `load-${i}-${n++}` })
          .catch((err: Error) => ({ status: 0, body: { code: err.message } }));
        outcomes.push({ status: res.status, code: res.body?.code });
      }
    };
    const loops = Array.from({ length: 8 }, (_, i) => loop(i));
    await new Promise((r) => setTimeout(r, 800));
    own.stopOnly('postgres');
    await new Promise((r) => setTimeout(r, 1500));
    own.startOnly('postgres');
    await waitFor(async () => (await health()).status === 200, { timeoutMs: 30_000, description: 'health back after restart' });
    await new Promise((r) => setTimeout(r, 800));
    stop = true;
    await Promise.all(loops);

    const byStatus = outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [`${o.status} ${o.code ?? ''}`.trim()]: (acc[`${o.status} ${o.code ?? ''}`.trim()] ?? 0) + 1 }), {});
    const serverErrors = api.output().split('\n').filter((l) => l.includes('"level":50')).map((l) => l.slice(0, 600));
    expect(Object.keys(byStatus).every((k) => k === '201' || k === '503 SERVICE.DATABASE_UNAVAILABLE'), `${JSON.stringify(byStatus)}\n${serverErrors.join('\n')}`).toBe(true);
    expect(byStatus['503 SERVICE.DATABASE_UNAVAILABLE']).toBeGreaterThan(0);
    expect(byStatus['201']).toBeGreaterThan(0);

    // The api recovered without a restart.
    await request(url).post('/api/v1/terminal/redemptions').set('x-api-key', apiKey).send({ cardCode: cards[1], lines: [{ goodsId, quantity: 1 }], idempotencyKey: 'after-restart-0001' }).expect(201);

    // None half-applied: every receipt has exactly its posting and its stock movement, and
    // every balance and the stock equal the sums of their records.
    const [check] = await db.query(`
      SELECT
        (SELECT count(*)::int FROM redemptions) AS receipts,
        (SELECT count(*)::int FROM postings WHERE kind = 'redemption') AS postings,
        (SELECT count(*)::int FROM stock_movements WHERE kind = 'redeemed') AS movements,
        (SELECT count(*)::int FROM redemptions r WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.kind = 'redemption' AND p.source_ref = 'redemption:' || r.id)) AS receipts_without_posting,
        (SELECT count(*)::int FROM accounts a WHERE a.balance <> (SELECT coalesce(sum(points), 0) FROM postings p WHERE p.account_id = a.resident_id)) AS balances_off,
        (SELECT stock FROM goods WHERE id = $1) AS stock,
        (SELECT sum(quantity)::int FROM stock_movements WHERE goods_id = $1) AS stock_sum`, [goodsId]);
    expect(check.receipts).toBe(check.postings);
    expect(check.receipts).toBe(check.movements);
    expect(check.receipts_without_posting).toBe(0);
    expect(check.balances_off).toBe(0);
    expect(check.stock).toBe(check.stock_sum);
  });
});

import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wantedSchedulers } from '@app/queue/job-schedulers.service';
import { QUEUE_NAMES } from '@app/queue/jobs';
import { redisOptionsFromUrl } from '@app/queue/redis-options';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { explainWith, spawnApi, spawnBuilt, stopSpawned, type Spawned } from '../support/processes';
import { waitFor } from '../support/wait-for';

/**
 * The built processes from dist/: only the worker installs the job schedulers (XINYI_PROCESS,
 * set by src/worker.ts before the modules load and read through the env schema); an api process
 * on the same Redis never does.
 */
describe('job schedulers: installed by the worker process, never by the api', () => {
  const base = () => process.env.DATABASE_URL as string;
  const prefix = `ws${randomBytes(4).toString('hex')}`;
  let db: { name: string; url: string };
  let api: Awaited<ReturnType<typeof spawnApi>> | undefined;
  let worker: Spawned | undefined;
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: redisOptionsFromUrl(process.env.REDIS_URL as string), prefix }));
  const installed = async () => (await Promise.all(queues.map((q) => q.getJobSchedulers()))).flat().map((s) => s.key).sort();

  beforeAll(async () => {
    db = await createTestDatabase(base());
  });
  afterAll(async () => {
    await Promise.all([stopSpawned(api), stopSpawned(worker)]);
    for (const q of queues) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    if (db) await dropTestDatabase(base(), db.name);
  });

  it('the api leaves Redis without schedulers; the worker installs every one of the schedule table', async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
    api = await spawnApi(env);
    // The api is up and has run its bootstrap hooks (it logs "listening" after them).
    expect(await installed()).toEqual([]);
    worker = spawnBuilt('worker', [], env);
    await explainWith([api, worker], async () => {
      await waitFor(() => worker?.output().includes('workers started'), { timeoutMs: 60_000, description: 'worker up' });
      const want = wantedSchedulers().map((s) => s.id).sort();
      await waitFor(async () => JSON.stringify(await installed()) === JSON.stringify(want), { timeoutMs: 30_000, description: 'the worker to install the schedulers' });
    });
  });
});

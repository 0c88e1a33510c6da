import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '@app/common/time';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { spawnApi, stopSpawned, type Spawned } from '../support/processes';
import { waitFor } from '../support/wait-for';
import { answer, finalizeNow, object, publishMonth, villageA } from './board-helpers';

type Api = Spawned & { url: string };

/**
 * Several api processes on one database and one Redis (issue 19, "Past one machine"): what one
 * process or the worker changes, every other process shows at once, limits count once across all
 * of them, and losing a process loses only the requests in flight on it.
 */
describe('many api processes', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const spawned: Api[] = [];
  const spawn = async (env: Record<string, string> = {}): Promise<Api> => {
    const api = await spawnApi({ DATABASE_URL: stack.env.DATABASE_URL, QUEUE_PREFIX: stack.env.QUEUE_PREFIX, LOG_LEVEL: 'warn', ...env });
    spawned.push(api);
    return api;
  };

  beforeAll(async () => {
    // The in-process api stands for "another api process" and for the worker (finalize runs here).
    stack = await startStack({ env: { BOARD_CACHE_MS: '60000' } });
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => {
    await Promise.all(spawned.map((p) => stopSpawned(p)));
    await stack?.close();
  });

  it('a board cached by one process is fresh there right after another process or the worker changes it', async () => {
    const other = await spawn({ BOARD_CACHE_MS: '60000' });
    const { period, entryIds } = await publishMonth(stack, t, villageA(f, t), [{ residentId: f.residentsA[0], itemCode: 'T10' }]);
    const path = `/api/v1/public/boards/${f.villageA}/${period}`;
    const line = async () => {
      const body = (await (await fetch(`${other.url}${path}`)).json()) as { finalized: boolean; residents: Array<{ lines: Array<{ entryId: string; status: string }> }> };
      return { finalized: body.finalized, status: body.residents.flatMap((r) => r.lines).find((l) => l.entryId === entryIds[0])?.status };
    };
    const html = async (): Promise<string> => (await fetch(`${other.url}${path}.html`)).text();
    expect(await line()).toEqual({ finalized: false, status: 'approved' });
    // '异议处理中' is in the footer's legend too: the disputed line adds one more.
    const disputedMarks = async () => (await html()).split('异议处理中').length;
    const marksBefore = await disputedMarks();
    // Cached there for a minute; the objection is filed through this process.
    const objectionId = await object(stack, f.villageA, period, entryIds[0]);
    expect(await line()).toEqual({ finalized: false, status: 'disputed' });
    expect(await disputedMarks()).toBeGreaterThan(marksBefore);
    // Finalize as the worker does it (here, not in `other`).
    await answer(stack, villageA(f, t), objectionId, 'dismissed');
    expect(await line()).toEqual({ finalized: false, status: 'approved' });
    await finalizeNow(stack, f.villageA, period);
    expect((await line()).finalized).toBe(true);
  });

  it('the login rate limit counts once across two processes, not once per process', async () => {
    const env = { LOGIN_RATE_LIMIT_PER_MINUTE: '4', QUEUE_PREFIX: `t${randomBytes(5).toString('hex')}` };
    const [a, b] = await Promise.all([spawn(env), spawn(env)]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${(i % 2 ? b : a).url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `nobody-${i}`, password: 'wrong-password-1' }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('API_PROCESSES=2: a process killed under write traffic costs only its in-flight requests; retried by key, nothing is lost or doubled', async () => {
    const cluster = await spawn({ API_PROCESSES: '2', LOG_LEVEL: 'info' });
    await waitFor(() => [...cluster.output().matchAll(/api process (\d+) started/g)].length >= 2, { timeoutMs: 30_000 });
    const victim = Number([...cluster.output().matchAll(/api process (\d+) started/g)][0][1]);
    const today = shanghaiDate(new Date());
    const keys = Array.from({ length: 120 }, () => randomUUID());
    const created = new Map<string, string>();
    let failures = 0;
    // One connection per request (no keep-alive), as separate tills would: the supervisor routes each
    // new connection to a live process, so only a request already handed to the victim can fail.
    const post = (key: string, n: number) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(`${cluster.url}/api/v1/villages/${f.villageA}/entries`);
        const req = request(
          url,
          {
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/json', authorization: t.village_clerk, 'idempotency-key': key },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            res.on('error', reject);
          },
        );
        // As the till does: no answer in time counts as a failure and is retried by key (a connection
        // the supervisor handed to the victim just before it died is never answered).
        req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end(JSON.stringify({ residentId: f.residentsA[n % 3], itemCode: 'T10', occurredOn: today, evidenceNote: `负载 ${n}` }));
      });
    let next = 0;
    let killed = false;
    const failedKeys = new Set<string>();
    const lane = async () => {
      while (next < keys.length) {
        const n = next++;
        for (let attempt = 0; ; attempt++) {
          try {
            const sent = post(keys[n], n);
            if (n === 40 && !killed) {
              // Killed while this lane's request (and the other lanes') are in flight.
              killed = true;
              setTimeout(() => process.kill(victim, 'SIGKILL'), 5);
            }
            const res = await sent;
            expect([200, 201]).toContain(res.status);
            created.set(keys[n], (JSON.parse(res.body) as { id: string }).id);
            break;
          } catch (err) {
            if (attempt > 5) throw err;
            failures++;
            failedKeys.add(keys[n]);
            // A till waits a moment before it retries with the same key.
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, lane));
    // At most the requests in flight on the killed process (4 lanes) failed; all were retried.
    expect(failures).toBeLessThanOrEqual(4);
    expect(failedKeys.size).toBeLessThanOrEqual(4);
    expect(created.size).toBe(keys.length);
    const rows = await stack.db.query(`SELECT idempotency_key AS key, count(*)::int AS n FROM deed_entries WHERE idempotency_key = ANY($1) GROUP BY 1`, [keys]);
    expect(rows).toHaveLength(keys.length);
    expect(rows.every((r: { n: number }) => r.n === 1)).toBe(true);
    // The supervisor replaced the killed process and both serve.
    await waitFor(() => [...cluster.output().matchAll(/api process (\d+) started/g)].length >= 3, { timeoutMs: 30_000 });
    expect(cluster.output()).toMatch(new RegExp(`api process ${victim} exited \\(SIGKILL\\)`));
    const health = await Promise.all(Array.from({ length: 8 }, () => fetch(`${cluster.url}/health/live`).then((r) => r.status)));
    expect(health).toEqual(Array(8).fill(200));
  }, 120_000);
});

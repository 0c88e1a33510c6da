/**
 * Side-by-side A/B of api builds on one bench database (bench/ab.sh builds them and starts the
 * services): each round starts every build's api in turn, with the deployed flags unless a build
 * names its own, warms it, runs each read for AB_SECONDS at AB_CONNECTIONS, and stops it. Rounds
 * interleave the builds, so a machine that gets busier or quieter during the run moves all of
 * them alike; single runs on this shared machine differ by 10–25 % with the same code (README,
 * "Benchmarks"), more than most changes are worth.
 *
 * Per build, read and round (one JSON line each in AB_OUT; a table on stdout): 2xx per second,
 * p50/p95 latency, the api's CPU per request (every thread of the process, from /proc, and the
 * main thread's share: the rest is V8's GC and compiler threads), PostgreSQL's CPU per request
 * (the postmaster and its backends, PG_PID), the api's VmHWM.
 *
 *   node .local/bench-build/bench/ab.js <label>=<build dir>[|<node flags>] ...
 *
 * Environment: DATABASE_URL, REDIS_URL, BENCH_STATE (town.json), PG_PID; AB_ROUNDS (4),
 * AB_SECONDS (10), AB_CONNECTIONS (16), AB_READS (statement,search; statement-page, the newest 50
 * lines as the screens ask; or search-village, the
 * village-filtered search alone; live, GET /health/live, the HTTP stack with no guard and no
 * query; goods, the till's goods list, a terminal's guard and one small query; redeem, a one-good
 * redemption at the till, unique idempotency keys, residents the bench funded; redeem8, the same
 * spread over the 8 other goods), AB_OUT (a .jsonl path). A build given as
 * `<label>=<dir>|<node flags or 'deployed'>|K=V ...` runs its api with those settings too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { STATEMENT_SCREEN_PAGE } from '@app/ledger/ledger.dto';
import { http, load, login, type LoadResult } from './http';
import { cpuSeconds, freePort, loadAverage, memMb, round, sleep, treeCpuSeconds, withClient, type BenchTown } from './lib';

interface Build {
  label: string;
  dir: string;
  flags: string[];
  /** Settings of this build's api alone (`|…|K=V K2=V2`), e.g. REDEEM_BATCH_IN_FLIGHT=4. */
  env: Record<string, string>;
}

/**
 * search-village: the postings search of one village only (the shape that checks the village's
 * scope). live / goods / redeem: the cost ladder of a till request (no guard and no query; a
 * terminal's guard and one query; the whole redemption), to see what the stack costs per request
 * before our code runs.
 */
type Read = 'statement' | 'statement-page' | 'search' | 'search-village' | 'live' | 'goods' | 'redeem' | 'redeem8';
const READS: readonly Read[] = ['statement', 'statement-page', 'search', 'search-village', 'live', 'goods', 'redeem', 'redeem8'];

/** What a load sends: method, headers and the next request. */
interface Shape {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  next: () => { path: string; body?: string };
}

interface Row {
  round: number;
  api: string;
  read: Read;
  connections: number;
  seconds: number;
  reqPerS: number;
  p50: number;
  p95: number;
  apiCpuMsPerReq: number;
  apiMainThreadMsPerReq: number;
  pgCpuMsPerReq: number;
  apiVmHwmMb: number | null;
  non2xx: number;
}

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run bench/ab.sh)`);
  return v;
};

/** The deployed api flags (XINYI_API_NODE_OPTIONS of scripts/api-node-options.sh, which bench/ab.sh sources). */
const deployedFlags = (): string[] => env('XINYI_API_NODE_OPTIONS').split(' ').filter(Boolean);

function parseBuild(arg: string): Build {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`expected <label>=<build dir>[|<node flags>[|K=V ...]], got ${arg}`);
  const [dir, flags, settings] = arg.slice(eq + 1).split('|');
  const env = Object.fromEntries(
    (settings ?? '')
      .split(' ')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  // 'deployed' (or nothing) = the deployed flags; '' = none.
  const nodeFlags = flags === undefined || flags === 'deployed' ? deployedFlags() : flags.split(' ').filter(Boolean);
  // The label names what differs, so that two runs of one tree (say, with and without a profiler) stay apart.
  const label = [arg.slice(0, eq), flags !== undefined && flags !== 'deployed' ? `[${flags}]` : '', settings ?? ''].filter(Boolean).join(' ');
  return { label, dir, flags: nodeFlags, env };
}

/** CPU seconds of the process's main thread alone (its task whose id is the pid). */
function mainThreadCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function startApi(b: Build, town: BenchTown): Promise<{ child: ChildProcess; base: string; token: string }> {
  const port = await freePort();
  const secret = 'ab'.repeat(32);
  const child = spawn('node', [...b.flags, `${b.dir}/src/main.js`], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      JWT_SECRET: secret,
      ID_HASH_SECRET: secret,
      CREDIT_EXPORT_SECRET: secret,
      GLIBC_TUNABLES: env('XINYI_API_GLIBC_TUNABLES'),
      NODE_OPTIONS: '',
      ...b.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await http(base, 'GET', '/health/live').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (i > 300 || child.exitCode !== null) throw new Error(`api ${b.label} did not start`);
    await sleep(100);
  }
  return { child, base, token: await login(base, town.users.auditor, town.password) };
}

async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Inputs {
  residents: string[];
  villages: string[];
  /** Card codes of residents with at least 1,000 points (the bench funded 1,000,000 each), in md5 order (a fixed shuffle); empty unless a redemption read is asked for. */
  cards: string[];
  town: BenchTown;
}

let redeemKey = 0;
const redeemRun = Date.now().toString(36);

function shapeOf(read: Read, auditorToken: string, inputs: Inputs): Shape {
  if (read === 'live') return { method: 'GET', headers: {}, next: () => ({ path: '/health/live' }) };
  const till = { 'x-api-key': inputs.town.terminalKey };
  if (read === 'goods') return { method: 'GET', headers: till, next: () => ({ path: '/api/v1/terminal/goods' }) };
  if (read === 'redeem' || read === 'redeem8') {
    const { cards, town } = inputs;
    const goods = read === 'redeem' ? [town.goods.hot] : town.goods.spread;
    return {
      method: 'POST',
      headers: { ...till, 'content-type': 'application/json' },
      next: () => {
        const n = redeemKey++;
        return {
          path: '/api/v1/terminal/redemptions',
          body: JSON.stringify({ cardCode: cards[n % cards.length], lines: [{ goodsId: goods[n % goods.length], quantity: 1 }], idempotencyKey: `ab-${redeemRun}-${n}` }),
        };
      },
    };
  }
  return { method: 'GET', headers: { authorization: `Bearer ${auditorToken}` }, next: pathsOf(read, inputs.residents, inputs.villages) };
}

function pathsOf(read: Read, residents: string[], villages: string[]): () => { path: string } {
  let i = 0;
  // The search's shapes as the bench's read scenario has them: the town, a village, a resident, a kind.
  const search = [
    () => `/api/v1/audit/postings?limit=50`,
    (n: number) => `/api/v1/audit/postings?villageId=${villages[n % villages.length]}&limit=50`,
    (n: number) => `/api/v1/audit/postings?residentId=${residents[n % residents.length]}&limit=50`,
    () => `/api/v1/audit/postings?kind=redemption&limit=50`,
  ];
  return () => {
    const n = i++;
    if (read === 'statement') return { path: `/api/v1/residents/${residents[n % residents.length]}/statement` };
    if (read === 'statement-page') return { path: `/api/v1/residents/${residents[n % residents.length]}/statement?limit=${STATEMENT_SCREEN_PAGE}` };
    if (read === 'search-village') return { path: search[1](n) };
    return { path: search[n % search.length](Math.floor(n / search.length)) };
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const builds = process.argv.slice(2).map(parseBuild);
  // The same build twice ('bench/ab.sh . .', an A/A run): #2, #3, so their rows do not merge.
  builds.forEach((b, i) => {
    const same = builds.slice(0, i).filter((x) => x.label === b.label || x.label.startsWith(`${b.label} #`)).length;
    if (same) b.label = `${b.label} #${same + 1}`;
  });
  if (builds.length === 0) throw new Error('usage: ab.js <label>=<build dir>[|<node flags>] ...');
  const town = JSON.parse(readFileSync(`${env('BENCH_STATE')}/town.json`, 'utf8')) as BenchTown;
  const pgPid = Number(env('PG_PID'));
  const rounds = Number(process.env.AB_ROUNDS ?? 4);
  const seconds = Number(process.env.AB_SECONDS ?? 10);
  const connections = Number(process.env.AB_CONNECTIONS ?? 16);
  const reads = (process.env.AB_READS ?? 'statement,search').split(',') as Read[];
  for (const r of reads) if (!READS.includes(r)) throw new Error(`AB_READS: unknown ${r} (one of ${READS.join(', ')})`);
  const out = process.env.AB_OUT;
  const inputs: Inputs = await withClient(env('DATABASE_URL'), 'xinyi-bench-ab', async (c) => ({
    town,
    residents: (await c.query<{ id: string }>(`SELECT id::text FROM residents WHERE town_id = $1 ORDER BY id LIMIT 5000`, [town.townId])).rows.map((r) => r.id),
    villages: (await c.query<{ id: string }>(`SELECT id::text FROM villages WHERE town_id = $1 ORDER BY id`, [town.townId])).rows.map((r) => r.id),
    cards: !reads.some((r) => r === 'redeem' || r === 'redeem8') ? [] : (
      await c.query<{ card: string }>(
        `SELECT r.card_code AS card FROM residents r JOIN accounts a ON a.resident_id = r.id
          WHERE r.town_id = $1 AND r.status = 'active' AND a.balance >= 1000 ORDER BY md5(r.card_code)`,
        [town.townId],
      )
    ).rows.map((r) => r.card),
  }));
  const { residents } = inputs;
  if (reads.some((r) => r === 'redeem' || r === 'redeem8') && inputs.cards.length === 0) throw new Error('redeem: no funded resident (run npm run bench with BENCH_ONLY=redeem first)');
  const rows: Row[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const b of builds) {
      const api = await startApi(b, town);
      const pid = api.child.pid as number;
      try {
        for (const read of reads) await load({ base: api.base, connections, seconds: 2, ...shapeOf(read, api.token, inputs) });
        for (const read of reads) {
          const [cpu0, main0, pg0] = [cpuSeconds(pid), mainThreadCpuSeconds(pid), treeCpuSeconds(pgPid)];
          const res: LoadResult = await load({ base: api.base, connections, seconds, ...shapeOf(read, api.token, inputs) });
          const n = res.ok;
          const per = (s: number) => round((s * 1000) / n, 2);
          const row: Row = {
            round: r,
            api: b.label,
            read,
            connections,
            seconds,
            reqPerS: res.okPerS,
            p50: round(res.latencyMs.p50, 1),
            p95: round(res.latencyMs.p95, 1),
            apiCpuMsPerReq: per(cpuSeconds(pid) - cpu0),
            apiMainThreadMsPerReq: per(mainThreadCpuSeconds(pid) - main0),
            pgCpuMsPerReq: per(treeCpuSeconds(pgPid) - pg0),
            apiVmHwmMb: memMb(pid, 'VmHWM'),
            non2xx: res.requests - res.ok,
          };
          rows.push(row);
          if (out) appendFileSync(out, `${JSON.stringify({ ...row, build: b.dir, flags: b.flags.join(' '), env: b.env })}\n`);
          process.stderr.write(`round ${r} ${read} ${b.label}: ${row.reqPerS} req/s, p95 ${row.p95} ms, api ${row.apiCpuMsPerReq} ms/req (main thread ${row.apiMainThreadMsPerReq}), PostgreSQL ${row.pgCpuMsPerReq} ms/req\n`);
          if (row.non2xx) throw new Error(`${b.label} ${read}: ${row.non2xx} answers were not 2xx: ${JSON.stringify(res.statuses)} ${JSON.stringify(res.codes)}`);
        }
      } finally {
        await stopApi(api.child);
      }
    }
  }
  const lines = ['| read | api | req/s (each round) | p95 ms (median) | api CPU ms/req (median; main thread) | PostgreSQL CPU ms/req (median) |', '| --- | --- | --- | --- | --- | --- |'];
  for (const read of reads) {
    for (const b of builds) {
      const mine = rows.filter((x) => x.read === read && x.api === b.label);
      lines.push(
        `| ${read} | ${b.label} | ${mine.map((x) => x.reqPerS).join(', ')} | ${round(median(mine.map((x) => x.p95)), 1)} | ${round(median(mine.map((x) => x.apiCpuMsPerReq)), 2)}; ${round(median(mine.map((x) => x.apiMainThreadMsPerReq)), 2)} | ${round(median(mine.map((x) => x.pgCpuMsPerReq)), 2)} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`\n${town.size} database, ${residents.length} residents read; ${rounds} rounds × ${seconds} s at ${connections} connections; load average at the end ${loadAverage().join(' ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

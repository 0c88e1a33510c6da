/**
 * The benchmark scenarios, run by bench/run.sh once the town is generated and the api and the
 * worker run as real processes. Each scenario reports throughput, latency percentiles where
 * requests have a latency, PostgreSQL time, what the machine's cores did meanwhile, and the same
 * work done by the cheapest SQL ("limit") on the same PostgreSQL. Results go to
 * bench/results/<UTC timestamp>.json and bench/results/latest.md.
 *
 * Environment (set by run.sh): DATABASE_URL, REDIS_URL, API_URL, API_PID, WORKER_PID, PG_PID,
 * REDIS_PID, PGDATA, BENCH_STATE, BENCH_BUILD, BENCH_RESULTS, PGBENCH; optional
 * BENCH_REDEEM_SECONDS (15), BENCH_READ_SECONDS (10), BENCH_ONLY (comma list of groups:
 * finalize,redeem,upload,read,replica,verify,console,dashboard), QUEUE_PREFIX (xinyi).
 */
import 'reflect-metadata';
import { Queue } from 'bullmq';
import ExcelJS from 'exceljs';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { CreditExportRepository } from '@app/credit-export/credit-export.repository';
import { StatementRepository } from '@app/ledger/statement.repository';
import { STATEMENT_SCREEN_PAGE as STATEMENT_PAGE } from '@app/ledger/ledger.dto';
import { DashboardRepository } from '@app/auditor/dashboard.repository';
import { monthsUpTo } from '@app/auditor/dashboard.service';
import { DASHBOARD_MONTHS } from '@app/auditor/dashboard.dto';
import { jobIds } from '@app/queue/job-ids';
import { JOB_RETENTION, JOBS } from '@app/queue/jobs';
import { redisOptionsFromUrl } from '@app/queue/redis-options';
import { maskName } from '@app/common/mask-name';
import { consoleAssets, launch, loginPageLoad, pageAssets, tillTimings, type TillPerson } from './console';
import { FIXED_ITEMS } from './generate';
import { runLedgerBatch } from './ledger-batch';
import { http, load, login, sequential, type LoadResult } from './http';
import { type BenchTown, freePort, treeCpuSeconds, fsyncRate, loadAverage, log, memMb, percentiles, prng, round, sleep } from './lib';
import { Probes, type ResourceUse, type TableWrites, type WaitSample } from './probes';
import { renderMarkdown } from './report';

type Pct = ReturnType<typeof percentiles>;

export interface Scenario {
  id: string;
  group: 'finalize' | 'redeem' | 'upload' | 'read' | 'replica' | 'verify' | 'console' | 'dashboard';
  title: string;
  headline: { value: number; unit: string; better: 'higher' | 'lower' } | null;
  latencyMs?: Pct;
  /** PostgreSQL statement time per operation (active_time / operations), ms. */
  pgMsPerOp?: number;
  limit?: { what: string; value: number; unit: string; latencyMs?: Pct; ratio: number };
  target?: { text: string; met: boolean };
  use?: ResourceUse;
  waits?: WaitSample;
  counts?: Record<string, number>;
  /** PostgreSQL statements of the app during the scenario (log_min_duration_statement = 0), by text. */
  statements?: StatementStat[];
  details?: Record<string, unknown>;
  notes: string[];
  skipped?: string;
}

export interface StatementStat {
  statement: string;
  n: number;
  totalMs: number;
  avgMs: number;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: Record<string, unknown>;
  config: Record<string, unknown>;
  volume: Record<string, number>;
  generate: Record<string, number>;
  scenarios: Scenario[];
  processes: { apiPeakRssMb: number | null; workerPeakRssMb: number | null; apiRssMaxUnderLoadMb: number | null };
  slowStatements: Array<{ ms: number; statement: string; times: number }>;
  loadAverage: { start: number[]; end: number[] };
}

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
/** Tables whose row writes (HOT share of the updates) each scenario reports (issue 19: the account head update). */
const HOT_TABLES = { finalize: ['accounts', 'notices', 'entry_states'], redeem: ['accounts', 'goods'] };

class Bench {
  readonly api = env('API_URL');
  readonly dbUrl = env('DATABASE_URL');
  readonly redisUrl = env('REDIS_URL');
  readonly state = env('BENCH_STATE');
  readonly build = env('BENCH_BUILD');
  readonly pgbench = env('PGBENCH');
  readonly pgdata = env('PGDATA');
  readonly prefix = process.env.QUEUE_PREFIX ?? 'xinyi';
  readonly redeemSeconds = num('BENCH_REDEEM_SECONDS', 15);
  readonly readSeconds = num('BENCH_READ_SECONDS', 10);
  readonly only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
  readonly town: BenchTown = JSON.parse(readFileSync(`${env('BENCH_STATE')}/town.json`, 'utf8'));
  readonly pids = { api: Number(env('API_PID')), worker: Number(env('WORKER_PID')), postmaster: Number(env('PG_PID')), redis: Number(env('REDIS_PID')) };
  readonly scenarios: Scenario[] = [];
  db!: Client;
  probes!: Probes;
  rssUnderLoad = 0;
  /** The 16-connection read loads of reads(), to run again against an api reading the standby (replica group). */
  readonly readLoads: Array<{ id: string; title: string; next: () => { path: string }; headers: Record<string, string> }> = [];
  readTarget: ((p95: number) => Scenario['target']) | null = null;

  want(group: Scenario['group']): boolean {
    return this.only.size === 0 || this.only.has(group);
  }

  async q<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query(sql, params)).rows as T[];
  }

  add(s: Scenario): Scenario {
    this.scenarios.push(s);
    if (s.waits?.apiRssMaxMb) this.rssUnderLoad = Math.max(this.rssUnderLoad, s.waits.apiRssMaxMb);
    const h = s.headline ? `${s.headline.value} ${s.headline.unit}` : s.skipped ? `skipped: ${s.skipped}` : '';
    log(`${s.id}: ${h}${s.latencyMs ? ` p50/p95/p99 ${s.latencyMs.p50}/${s.latencyMs.p95}/${s.latencyMs.p99} ms` : ''}${s.limit ? ` (limit ${s.limit.value} ${s.limit.unit}, ratio ${s.limit.ratio})` : ''}`);
    return s;
  }

  postingCount = async () => Number((await this.q<{ n: string }>(`SELECT count(*) AS n FROM postings`))[0].n);

  /**
   * Runs `work` with every statement logged (log_min_duration_statement = 0) and sums the app's
   * statements (application_name 'xinyi') by text: where PostgreSQL's part of the time goes. The
   * logging costs a little; use it on runs whose headline number does not depend on it.
   */
  async traceStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: StatementStat[]; totalMs: number; count: number; phasesMs: Record<string, number> }> {
    const file = `${this.pgdata}/server.log`;
    const offset = statSync(file).size;
    await this.q(`ALTER SYSTEM SET log_min_duration_statement = 0`);
    await this.q(`SELECT pg_reload_conf()`);
    await sleep(300);
    let result: T;
    try {
      result = await work();
    } finally {
      await this.q(`ALTER SYSTEM SET log_min_duration_statement = '250ms'`);
      await this.q(`SELECT pg_reload_conf()`);
    }
    await sleep(300);
    const size = statSync(file).size - offset;
    const buf = Buffer.alloc(size);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, size, offset);
    } finally {
      closeSync(fd);
    }
    const by = new Map<string, StatementStat>();
    // parse = parse analysis, bind = planning (unnamed statements are planned at bind), execute;
    // 'statement' = simple-protocol commands (START TRANSACTION, COMMIT, queries without parameters).
    const phasesMs: Record<string, number> = { parse: 0, bind: 0, execute: 0, statement: 0 };
    let totalMs = 0;
    let count = 0;
    for (const line of buf.toString('utf8').split('\n')) {
      const m = /\] xinyi: LOG: {2}duration: ([\d.]+) ms {2}(parse|bind|execute|statement)[^:]*: (.*)$/.exec(line);
      if (!m) continue;
      const ms = Number(m[1]);
      const key = m[3].replace(/\s+/g, ' ').trim().slice(0, 110);
      const cur = by.get(key) ?? { statement: key, n: 0, totalMs: 0, avgMs: 0 };
      if (m[2] === 'execute' || m[2] === 'statement') cur.n++;
      cur.totalMs += ms;
      by.set(key, cur);
      phasesMs[m[2]] += ms;
      totalMs += ms;
      if (m[2] === 'execute' || m[2] === 'statement') count++;
    }
    const statements = [...by.values()]
      .map((x) => ({ ...x, totalMs: round(x.totalMs, 1), avgMs: round(x.totalMs / Math.max(1, x.n), 3) }))
      .sort((a, b) => b.totalMs - a.totalMs);
    for (const k of Object.keys(phasesMs)) phasesMs[k] = round(phasesMs[k], 1);
    return { result: result as T, statements, totalMs: round(totalMs, 1), count, phasesMs };
  }

  // ---- a. finalize ---------------------------------------------------------------------------

  async finalize(): Promise<void> {
    const t = this.town;
    const cycles = t.villages.filter((v) => v.cycleId);
    const queue = new Queue('cycle', { connection: redisOptionsFromUrl(this.redisUrl), prefix: this.prefix });
    try {
      // The window ends now (generated in the future, so the worker's start-up reconcile left them alone).
      await this.q(`UPDATE review_cycles SET window_ends_at = now() - interval '1 second' WHERE town_id = $1 AND period = $2 AND state = 'publicized'`, [t.townId, t.finalizePeriod]);
      const stopWaits = this.probes.sampleWaits(200);
      const tables0 = await this.probes.tableCounters(HOT_TABLES.finalize);
      const traced = await this.traceStatements(() => this.probes.measure(async () => {
        const t0 = performance.now();
        await queue.addBulk(
          cycles.map((v) => ({
            name: 'cycle.finalize',
            data: { cycleId: v.cycleId as string },
            opts: { jobId: jobIds.finalize(v.id, t.finalizePeriod), attempts: JOBS['cycle.finalize'].retry.attempts, backoff: JOBS['cycle.finalize'].retry.backoff, ...JOB_RETENTION },
          })),
        );
        for (;;) {
          const [{ n }] = await this.q<{ n: number }>(`SELECT count(*)::int AS n FROM review_cycles WHERE town_id = $1 AND period = $2 AND state = 'finalized'`, [t.townId, t.finalizePeriod]);
          if (n === cycles.length) break;
          if (performance.now() - t0 > 15 * 60_000) throw new Error(`finalize: only ${n}/${cycles.length} cycles finalized after 15 min`);
          await sleep(50);
        }
        return (performance.now() - t0) / 1000;
      }));
      const { result: wallS, use } = traced.result;
      const waits = await stopWaits();
      // An idle backend reports its table counters up to 10 s after its last transaction.
      await sleep(11_000);
      const tableWrites = Probes.tableWrites(tables0, await this.probes.tableCounters(HOT_TABLES.finalize));
      const [{ n: posted }] = await this.q<{ n: number }>(`SELECT count(*)::int AS n FROM postings WHERE town_id = $1 AND kind = 'deed' AND period = $2 AND source_ref LIKE 'entry:%'`, [t.townId, t.finalizePeriod]);
      const jobs = (await queue.getJobs(['completed', 'failed'])).filter((j) => j.name === 'cycle.finalize');
      const durations = jobs.filter((j) => j.finishedOn && j.processedOn).map((j) => (j.finishedOn as number) - (j.processedOn as number));
      const failed = jobs.filter((j) => j.failedReason).length;
      // After-posting jobs: finalize enqueues credit.export (one job id per town, coalesced).
      const exportQ = new Queue('credit-export', { connection: redisOptionsFromUrl(this.redisUrl), prefix: this.prefix });
      const drainStart = performance.now();
      let follow: Record<string, number> = {};
      for (;;) {
        const e = await exportQ.getJobCounts('waiting', 'active', 'completed', 'failed');
        follow = { exportQueued: e.waiting + e.active, exportDone: e.completed, exportFailed: e.failed };
        if (follow.exportQueued === 0 || performance.now() - drainStart > 180_000) break;
        await sleep(500);
      }
      follow.drainS = round((performance.now() - drainStart) / 1000);
      await exportQ.close();
      // No export endpoint here, so the jobs above skip: what the export itself reads, the month's
      // records built from their postings (CreditExportRepository.pendingBatch), timed as one read.
      const exportDs = new DataSource(dataSourceOptions(this.dbUrl, 2, 'bench-export-read'));
      await exportDs.initialize();
      try {
        const r0 = performance.now();
        const records = await new CreditExportRepository(exportDs).pendingBatch(posted + 1000, t.townId);
        follow.exportReadRecords = records.length;
        follow.exportReadS = round((performance.now() - r0) / 1000, 2);
      } finally {
        await exportDs.destroy();
      }

      const limit = await this.finalizeLimit(posted);
      const rate = Math.round(posted / wallS);
      this.add({
        id: 'finalize',
        group: 'finalize',
        title: `month-end finalize: ${cycles.length} village cycles, ${posted} entries, through the cycle.finalize job`,
        headline: { value: rate, unit: 'postings/s', better: 'higher' },
        latencyMs: percentiles(durations),
        pgMsPerOp: round((use.pgActiveS * 1000) / posted, 3),
        limit: { what: `one INSERT … SELECT of ${posted} postings-like rows (sha256 each) into a scratch table with the postings indexes`, value: limit, unit: 'rows/s', ratio: round(rate / limit, 3) },
        target: { text: '≥ 40,000 postings/s', met: rate >= 40_000 },
        use,
        waits,
        counts: { cycles: cycles.length, posted, failedJobs: failed },
        statements: traced.statements.slice(0, 15),
        details: {
          wallS: round(wallS),
          jobDurationsMs: 'latency = per-village job time (processedOn → finishedOn)',
          afterPostingJobs: follow,
          workerConcurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
          appStatements: traced.count,
          appStatementMs: traced.totalMs,
          tableWrites,
        },
        notes: [
          `latency columns: per-village job time; ${traced.count} app statements took ${round(traced.totalMs / 1000, 1)} s of PostgreSQL time in all (statement log on during this run): ${phaseText(traced.phasesMs)}`,
          tableWritesNote(tableWrites),
          `after-posting jobs: ${follow.exportDone} credit.export job(s) completed, ${follow.exportFailed} failed; the export queue drained ${follow.drainS} s after the last finalize; the export's read of the ${follow.exportReadRecords} pending records (built from their postings) took ${follow.exportReadS} s as one query`,
        ],
      });
    } finally {
      await queue.close();
    }
  }

  private async finalizeLimit(rows: number): Promise<number> {
    await this.q(`CREATE SCHEMA IF NOT EXISTS bench_limit`);
    await this.q(`DROP TABLE IF EXISTS bench_limit.finalize_postings`);
    await this.q(`CREATE TABLE bench_limit.finalize_postings (LIKE public.postings INCLUDING ALL)`);
    const t0 = performance.now();
    await this.q(
      `INSERT INTO bench_limit.finalize_postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
       SELECT $1, $1, md5(g::text)::uuid, 1 + g / 50000, 'deed', 5, 'entry:' || md5(g::text || 'e'), $4, $2, 'T10', '适龄青年主动参军入伍', now(),
              repeat('0', 64), encode(sha256(convert_to(g::text, 'UTF8')), 'hex')
         FROM generate_series(1, $3) AS g`,
      [this.town.townId, this.town.finalizePeriod, rows, `town:${this.town.townId}`],
    );
    const s = (performance.now() - t0) / 1000;
    await this.q(`DROP TABLE bench_limit.finalize_postings`);
    return Math.round(rows / s);
  }

  /** bench/ledger-batch.ts as a scenario: the ledger's batch path alone, in process, one call. */
  async ledgerBatch(): Promise<void> {
    const residents = num('BENCH_POSTBATCH_RESIDENTS', 50_000);
    const postings = num('BENCH_POSTBATCH_POSTINGS', 100_000);
    const ds = new DataSource(dataSourceOptions(this.dbUrl, 4, 'xinyi-bench'));
    await ds.initialize();
    try {
      const { result: r, use } = await this.probes.measure(() => runLedgerBatch(ds, residents, postings));
      const rate = Math.round(r.posted / r.postSeconds);
      this.add({
        id: 'ledger-postbatch',
        group: 'finalize',
        title: `LedgerService.postBatch in process (bench/ledger-batch.ts): ${r.posted} postings over ${r.residents} new accounts in ONE call`,
        headline: { value: rate, unit: 'postings/s', better: 'higher' },
        target: { text: '≥ 40,000 postings/s (the finalize target, for the ledger alone)', met: rate >= 40_000 },
        use,
        details: { ...r },
        notes: [
          `time per repository method (ms): ${Object.entries(r.breakdownMs).map(([k, v]) => `${k} ${v}`).join(', ')}; the rest of ${round(r.postSeconds, 2)} s is JS (hashing, arrays)`,
          `rerun of the same batch: ${r.rerunSkipped} skipped in ${round(r.rerunSeconds, 2)} s; verifyTown ${r.verified} postings in ${round(r.verifySeconds, 2)} s (ok=${r.verifyOk}); cores/PG time cover all three`,
        ],
      });
    } finally {
      await ds.destroy();
    }
  }

  // ---- b. redemptions --------------------------------------------------------------------------

  async redemptions(): Promise<void> {
    const t = this.town;
    const token = await login(this.api, t.users.admin, t.password);
    // Fund every resident through the ledger (POST opening-balances, ≤ 5,000 lines a request).
    const residents = await this.q<{ id: string; card: string; village: string; balance: number | null }>(
      `SELECT r.id, r.card_code AS card, v.code AS village, a.balance FROM residents r JOIN villages v ON v.id = r.village_id
         LEFT JOIN accounts a ON a.resident_id = r.id WHERE r.town_id = $1 ORDER BY r.card_code`,
      [t.townId],
    );
    const hot = residents.find((r) => r.village === 'BIG' && (r.balance ?? 0) <= 1000 && (r.balance ?? 0) > -100_000);
    if (!hot) throw new Error('no resident for the one-hot-resident run');
    const HOT_BALANCE = 1000;
    const lines = residents.map((r) => ({ residentId: r.id, points: r.id === hot.id ? HOT_BALANCE - (r.balance ?? 0) : 1_000_000 }));
    const fundTables0 = await this.probes.tableCounters(HOT_TABLES.redeem);
    const fund = await this.probes.measure(async () => {
      const times: number[] = [];
      for (let i = 0; i < lines.length; i += 5000) {
        const r = await http(this.api, 'POST', '/api/v1/ledger/opening-balances', { token, json: { sourceDocument: '基准测试期初余额', lines: lines.slice(i, i + 5000) } });
        if (r.status >= 300) throw new Error(`opening balances: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
        times.push(r.ms);
      }
      return times;
    });
    const fundWrites = Probes.tableWrites(fundTables0, await this.probes.tableCounters(HOT_TABLES.redeem));
    const fundRate = Math.round(lines.length / fund.use.wallS);
    this.add({
      id: 'fund',
      group: 'redeem',
      title: `opening balances for ${lines.length} residents over HTTP (POST /ledger/opening-balances, 5,000 lines a request)`,
      headline: { value: fundRate, unit: 'postings/s', better: 'higher' },
      latencyMs: percentiles(fund.result),
      pgMsPerOp: round((fund.use.pgActiveS * 1000) / lines.length, 3),
      use: fund.use,
      details: { tableWrites: fundWrites },
      notes: ['latency = per 5,000-line request', tableWritesNote(fundWrites)],
    });

    const rnd = prng(t.seed + 1);
    const cards = residents.filter((r) => r.village !== 'BIG').map((r) => r.card);
    for (let i = cards.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [cards[i], cards[j]] = [cards[j], cards[i]];
    }
    const headers = { 'content-type': 'application/json', 'x-api-key': t.terminalKey };
    let cursor = 0;
    let key = 0;
    const run = async (id: string, title: string, connections: number, seconds: number, goods: string[], card: () => string, base = this.api) => {
      const runTag = `${id}-${Date.now().toString(36)}`;
      const stop = this.probes.sampleWaits(100);
      const tables0 = await this.probes.tableCounters(HOT_TABLES.redeem);
      const { result, use } = await this.probes.measure(() =>
        load({
          base,
          connections,
          seconds,
          method: 'POST',
          headers,
          next: () => ({
            path: '/api/v1/terminal/redemptions',
            body: JSON.stringify({ cardCode: card(), lines: [{ goodsId: goods[key % goods.length], quantity: 1 }], idempotencyKey: `${runTag}-${key++}` }),
          }),
        }),
      );
      const tableWrites = Probes.tableWrites(tables0, await this.probes.tableCounters(HOT_TABLES.redeem));
      return { result, use, waits: await stop(), title, tableWrites };
    };
    const nextCard = () => cards[cursor++ % cards.length];
    const limits = await this.redemptionLimits();
    const add = (id: string, r: Awaited<ReturnType<typeof run>>, limitKey: string, targeted: boolean) => {
      const l = limits[limitKey];
      const s: Scenario = {
        id,
        group: 'redeem',
        title: r.title,
        headline: { value: r.result.okPerS, unit: 'redemptions/s', better: 'higher' },
        latencyMs: r.result.latencyMs,
        pgMsPerOp: r.result.ok ? round((r.use.pgActiveS * 1000) / r.result.ok, 2) : undefined,
        limit: l ? { what: l.what, value: l.tps, unit: 'tx/s', latencyMs: l.latencyMs, ratio: round(r.result.okPerS / l.tps, 3) } : undefined,
        use: r.use,
        waits: r.waits,
        counts: { ...prefixKeys('status ', r.result.statuses), ...prefixKeys('', r.result.codes), errors: r.result.errors, timeouts: r.result.timeouts },
        details: { commitsPerWalSync: r.use.walSyncs ? round(r.use.commits / r.use.walSyncs, 2) : null, requests: r.result.requests, tableWrites: r.tableWrites },
        notes: [tableWritesNote(r.tableWrites)],
      };
      if (targeted) s.target = { text: '≥ 2,000/s and p99 ≤ 50 ms at 64 connections', met: r.result.okPerS >= 2000 && r.result.latencyMs.p99 <= 50 };
      if (r.result.requests > r.result.ok) s.notes.push(`${r.result.requests - r.result.ok} non-2xx`);
      return this.add(s);
    };
    for (const c of [1, 16, 64]) {
      add(`redeem-1good-c${c}`, await run(`h${c}`, `redemptions, one good (one goods row), ${c} connection(s), many residents`, c, this.redeemSeconds, [t.goods.hot], nextCard), `hot-c${c}`, c === 64);
    }
    // One connection again with every statement logged: PostgreSQL's share of a redemption, statement by statement.
    const trace = await this.traceStatements(() =>
      load({
        base: this.api,
        connections: 1,
        seconds: 4,
        method: 'POST',
        headers,
        next: () => ({ path: '/api/v1/terminal/redemptions', body: JSON.stringify({ cardCode: nextCard(), lines: [{ goodsId: t.goods.hot, quantity: 1 }], idempotencyKey: `trace-${Date.now().toString(36)}-${key++}` }) }),
      }),
    );
    const per = trace.result.ok || 1;
    this.add({
      id: 'redeem-trace-c1',
      group: 'redeem',
      title: 'one connection, every statement logged: where a redemption\'s time goes',
      headline: { value: round(trace.totalMs / per, 2), unit: 'PG ms per redemption', better: 'lower' },
      latencyMs: trace.result.latencyMs,
      statements: trace.statements.slice(0, 20).map((x) => ({ ...x, avgMs: round(x.totalMs / per, 3) })),
      details: { statementsPerRedemption: round(trace.count / per, 1), redemptions: trace.result.ok, phasesMsTotal: trace.phasesMs },
      notes: [
        `${round(trace.count / per, 1)} statements (round trips) per redemption, ${round(trace.totalMs / per, 2)} ms of PostgreSQL time of a ${trace.result.latencyMs.p50} ms median request; the rest is the api (and the wire)`,
        `PostgreSQL time per redemption by phase: ${phaseText(Object.fromEntries(Object.entries(trace.phasesMs).map(([k, v]) => [k, round(v / per, 2)])))} (${
          (trace.phasesMs.parse ?? 0) / per < 0.05 ? 'its statements are prepared: parsed once per connection, then run from a cached plan' : 'statements are sent unnamed: parsed and planned on every call'
        })`,
        'statements: avg = ms per redemption',
      ],
    });
    for (const c of [16, 64]) {
      add(`redeem-8goods-c${c}`, await run(`s${c}`, `redemptions spread over ${t.goods.spread.length} goods, ${c} connections, many residents`, c, this.redeemSeconds, t.goods.spread, nextCard), `spread-c${c}`, c === 64);
    }
    // The same 64-connection runs against a second api without group commit, right after each
    // other (interleaved with the first api's), so both see the same shared machine.
    // And against a third api of two processes (API_PROCESSES=2, one per core of this machine).
    if (process.env.BENCH_REDEEM_COMPARE !== '0') {
      await this.withSecondApis([{ REDEEM_BATCH_IN_FLIGHT: '0' }, { API_PROCESSES: '2' }], async ([{ base, cpu }, { base: twoBase, cpu: twoCpu }]) => {
        // Warm them up first (JIT, pool, prepared statements), as the first api is by now; not reported.
        await run('warm-b', 'warm-up of the second api', 16, 5, [...t.goods.spread], nextCard, base);
        await run('warm-p', 'warm-up of the two-process api', 16, 5, [...t.goods.spread], nextCard, twoBase);
        for (const [id, goods, limitKey] of [['redeem-1good-c64', [t.goods.hot], 'hot-c64'], ['redeem-8goods-c64', t.goods.spread, 'spread-c64']] as const) {
          const again = await run(`${id}-a`, `as ${id}, group commit on (REDEEM_BATCH_IN_FLIGHT default), run again beside the next row`, 64, this.redeemSeconds, [...goods], nextCard);
          const withId = add(`${id}-again`, again, limitKey, false);
          withId.details = { ...withId.details, apiCpuMsPerRedemption: round(((again.use.cores.api ?? 0) * again.use.wallS * 1000) / Math.max(1, again.result.requests), 2) };
          const c0 = cpu();
          const off = await run(`${id}-b`, `as ${id}, a second api with REDEEM_BATCH_IN_FLIGHT=0 (each redemption its own statement and commit)`, 64, this.redeemSeconds, [...goods], nextCard, base);
          const offCpu = cpu() - c0;
          const without = add(`${id}-nobatch`, off, limitKey, false);
          without.details = { ...without.details, apiCpuMsPerRedemption: round((offCpu * 1000) / Math.max(1, off.result.requests), 2) };
          without.notes.push('the second api\'s CPU is in "others", not "api"');
          const p0 = twoCpu();
          const two = await run(`${id}-p`, `as ${id}, an api of two processes (API_PROCESSES=2; group commit on in each)`, 64, this.redeemSeconds, [...goods], nextCard, twoBase);
          const twoCpuS = twoCpu() - p0;
          const withTwo = add(`${id}-2proc`, two, limitKey, false);
          withTwo.details = { ...withTwo.details, apiCpuMsPerRedemption: round((twoCpuS * 1000) / Math.max(1, two.result.requests), 2), apiCores: round(twoCpuS / two.use.wallS, 2) };
          withTwo.notes.push(`the two api processes used ${round(twoCpuS / two.use.wallS, 2)} cores (in "others", not "api")`);
          if (withTwo.waits) withTwo.waits.apiRssMaxMb = null;
        }
      });
    }
    // One hot resident with 1,000 points, goods of 10: exactly 100 may succeed, the rest must be INSUFFICIENT_POINTS.
    const one = await run('one', `one resident (balance ${HOT_BALANCE}, price 10), 16 connections: overspend attempt`, 16, Math.min(10, this.redeemSeconds), [t.goods.hot], () => hot.card);
    const [acc] = await this.q<{ balance: number }>(`SELECT balance FROM accounts WHERE resident_id = $1`, [hot.id]);
    const [sum] = await this.q<{ s: number; n: number }>(`SELECT sum(points)::int AS s, count(*) FILTER (WHERE kind = 'redemption' AND source_ref LIKE 'redemption:%')::int AS n FROM postings WHERE account_id = $1`, [hot.id]);
    const insufficient = one.result.codes['REDEMPTION.INSUFFICIENT_POINTS'] ?? 0;
    const otherErrors = one.result.requests - one.result.ok - insufficient;
    const s: Scenario = {
      id: 'redeem-1resident-c16',
      group: 'redeem',
      title: one.title,
      headline: { value: Math.round(one.result.requests / one.result.durationS), unit: 'answers/s', better: 'higher' },
      latencyMs: one.result.latencyMs,
      use: one.use,
      waits: one.waits,
      counts: { ...prefixKeys('status ', one.result.statuses), ...prefixKeys('', one.result.codes), errors: one.result.errors, timeouts: one.result.timeouts, finalBalance: acc.balance, redemptionsPosted: sum.n },
      target: { text: `exactly ${HOT_BALANCE / 10} succeed, every other answer REDEMPTION.INSUFFICIENT_POINTS, balance 0 = Σ postings`, met: one.result.ok === HOT_BALANCE / 10 && otherErrors === 0 && acc.balance === 0 && sum.s === 0 },
      notes: [],
    };
    this.add(s);
  }

  /** pgbench on scratch tables: a redemption as ONE statement (debit the account, append a posting), durable commits. */
  private async redemptionLimits(): Promise<Record<string, { what: string; tps: number; latencyMs: Pct }>> {
    await this.q(`CREATE SCHEMA IF NOT EXISTS bench_limit`);
    await this.q(`DROP TABLE IF EXISTS bench_limit.postings, bench_limit.accounts, bench_limit.goods`);
    await this.q(`CREATE TABLE bench_limit.postings (LIKE public.postings INCLUDING ALL)`);
    await this.q(`CREATE TABLE bench_limit.accounts (id int PRIMARY KEY, account_id uuid NOT NULL, village_id uuid NOT NULL, balance int NOT NULL, seq int NOT NULL, head_hash text NOT NULL)`);
    await this.q(`INSERT INTO bench_limit.accounts SELECT row_number() OVER (ORDER BY id), id, village_id, 1000000, 1, repeat('0', 64) FROM residents WHERE town_id = $1`, [this.town.townId]);
    await this.q(`CREATE TABLE bench_limit.goods (id int PRIMARY KEY, stock int NOT NULL CHECK (stock >= 0))`);
    await this.q(`INSERT INTO bench_limit.goods VALUES (1, 2000000000)`);
    await this.q(`VACUUM ANALYZE bench_limit.accounts, bench_limit.goods`);
    const [{ n }] = await this.q<{ n: number }>(`SELECT count(*)::int AS n FROM bench_limit.accounts`);
    // No ':' inside literals: pgbench would read ':word' as one of its variables.
    const insert = (from: string) => `INSERT INTO bench_limit.postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, memo, posted_at, prev_hash, hash)
  SELECT '${this.town.townId}', d.village_id, d.account_id, d.seq, 'redemption', -10, 'lim/' || d.id || '/' || d.seq, 'shop' || chr(58) || '${this.town.shop.id}', '${this.town.currentPeriod}', 'LIMIT', now(), repeat('0', 64), d.head_hash FROM ${from};`;
    const debit = `d AS (UPDATE bench_limit.accounts SET balance = balance - 10, seq = seq + 1, head_hash = encode(sha256(convert_to(head_hash || seq, 'UTF8')), 'hex')
             WHERE id = :aid AND balance >= 10 RETURNING id, account_id, village_id, seq, head_hash)`;
    const scripts = {
      spread: `\\set aid random(1, ${n})\nWITH ${debit.replace(/\n\s*/g, ' ')} ${insert('d').replace(/\n\s*/g, ' ')}\n`,
      hot: `\\set aid random(1, ${n})\nWITH ${debit.replace(/\n\s*/g, ' ')}, g AS (UPDATE bench_limit.goods SET stock = stock - 1 WHERE id = 1 AND stock >= 1 RETURNING id) ${insert('d CROSS JOIN g').replace(/\n\s*/g, ' ')}\n`,
    };
    const dir = `${this.state}/pgbench`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const u = new URL(this.dbUrl);
    const out: Record<string, { what: string; tps: number; latencyMs: Pct }> = {};
    for (const [kind, script] of Object.entries(scripts)) {
      writeFileSync(`${dir}/${kind}.sql`, script);
      for (const c of kind === 'hot' ? [1, 16, 64] : [16, 64]) {
        const prefix = `${dir}/${kind}-c${c}`;
        const text = execFileSync(
          this.pgbench,
          ['-n', '-M', 'prepared', '-c', String(c), '-j', String(Math.min(c, 2)), '-T', String(Math.min(10, this.redeemSeconds)), '-f', `${dir}/${kind}.sql`, '-l', `--log-prefix=${prefix}`, '-h', u.hostname, '-p', u.port, '-U', 'postgres', u.pathname.slice(1)],
          { encoding: 'utf8', cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(text)?.[1] ?? NaN);
        const lat: number[] = [];
        for (const f of readdirSync(dir).filter((x) => x.startsWith(`${kind}-c${c}.`))) {
          for (const line of readFileSync(`${dir}/${f}`, 'utf8').split('\n')) {
            const parts = line.split(' ');
            if (parts.length >= 3) lat.push(Number(parts[2]) / 1000);
          }
        }
        out[`${kind}-c${c}`] = {
          what: `pgbench, ${c} client(s): one statement ${kind === 'hot' ? 'debits the account, decrements ONE goods row and appends' : 'debits the account and appends'} a posting (scratch tables, postings indexes)`,
          tps: Math.round(tps),
          latencyMs: percentiles(lat),
        };
        log(`limit ${kind}-c${c}: ${Math.round(tps)} tx/s p99 ${out[`${kind}-c${c}`].latencyMs.p99} ms`);
      }
    }
    await this.q(`DROP TABLE bench_limit.postings, bench_limit.accounts, bench_limit.goods`);
    return out;
  }

  // ---- c. upload -------------------------------------------------------------------------------

  async upload(): Promise<void> {
    const t = this.town;
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const day = Number(today.slice(8, 10));
    const headers = ['卡号', '姓名', '事项编码', '发生日期', '数量', '分值', '理由', '证据说明'];
    const items = FIXED_ITEMS.slice(0, 10);
    const formats: Array<'csv' | 'xlsx'> = ['csv', 'csv', 'xlsx', 'xlsx'];
    const runs: Array<{ format: string; s: number; status: number; created: unknown; bytes: number; use: ResourceUse }> = [];
    for (const [i, villageId] of t.uploadVillages.entries()) {
      const format = formats[i % formats.length];
      const people = await this.q<{ card: string; name: string }>(`SELECT card_code AS card, name FROM residents WHERE village_id = $1 ORDER BY card_code`, [villageId]);
      const rows: string[][] = [];
      for (let k = 0; rows.length < 10_000; k++) {
        const p = people[k % people.length];
        const round10 = Math.floor(k / people.length);
        rows.push([p.card, p.name, items[round10 % items.length], `${today.slice(0, 8)}${String(1 + ((k + round10 * 3) % day)).padStart(2, '0')}`, '', '', '', '基准测试：签到表第 3 页']);
      }
      let file: Buffer;
      if (format === 'csv') {
        file = Buffer.from(`\uFEFF${[headers, ...rows].map((r) => r.join(',')).join('\r\n')}\r\n`, 'utf8');
      } else {
        const wb = new ExcelJS.Workbook();
        const ws = wb.addWorksheet('积分记录');
        ws.addRow(headers);
        for (const r of rows) ws.addRow(r);
        file = Buffer.from(await wb.xlsx.writeBuffer());
      }
      const token = await login(this.api, t.users.clerks[villageId], t.password);
      const form = new FormData();
      const type = format === 'csv' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      form.append('file', new Blob([new Uint8Array(file)], { type }), `bench-${i}.${format}`);
      const { result: r, use } = await this.probes.measure(() => http<{ created?: number }>(this.api, 'POST', `/api/v1/villages/${villageId}/entries/upload`, { token, form }));
      if (r.status >= 300) throw new Error(`upload ${format}: ${r.status} ${JSON.stringify(r.body).slice(0, 800)}`);
      runs.push({ format, s: round(r.ms / 1000, 3), status: r.status, created: r.body.created, bytes: file.length, use });
      log(`upload ${format}: ${r.status} ${round(r.ms / 1000, 2)} s, created ${String(r.body.created)}`);
    }
    // The largest upload accepted (ENTRY_UPLOAD_MAX_ROWS), as .xlsx: it must go through under the api's heap cap.
    await this.bigXlsxUpload(headers, items, today, day);
    const limitS = await this.uploadLimit();
    for (const format of ['csv', 'xlsx']) {
      const mine = runs.filter((r) => r.format === format);
      if (!mine.length) continue;
      const best = [...mine].sort((a, b) => a.s - b.s)[Math.floor((mine.length - 1) / 2)];
      this.add({
        id: `upload-${format}`,
        group: 'upload',
        title: `bulk upload of 10,000 entries as .${format} over HTTP (village clerk)`,
        headline: { value: best.s, unit: 's per file', better: 'lower' },
        pgMsPerOp: round(best.use.pgActiveS * 1000, 0),
        limit: { what: 'one INSERT … SELECT of 10,000 entries + 10,000 entry states into scratch copies of the tables', value: limitS, unit: 's', ratio: round(best.s / limitS, 1) },
        target: { text: '≤ 3 s', met: best.s <= 3 },
        use: best.use,
        details: { runs: mine.map((m) => ({ s: m.s, status: m.status, created: m.created, fileKb: Math.round(m.bytes / 1024) })) },
        notes: [`median of ${mine.length} files (one per village); pgMsPerOp = PostgreSQL statement time for the whole file (ms)`],
      });
    }
  }

  private async bigXlsxUpload(headers: string[], items: string[], today: string, day: number): Promise<void> {
    const t = this.town;
    const villageId = t.uploadVillages[0];
    const people = await this.q<{ card: string; name: string }>(`SELECT card_code AS card, name FROM residents WHERE village_id = $1 ORDER BY card_code`, [villageId]);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('积分记录');
    ws.addRow(headers);
    for (let k = 0; k < 20_000; k++) {
      const p = people[k % people.length];
      const round10 = Math.floor(k / people.length);
      ws.addRow([p.card, p.name, items[round10 % items.length], `${today.slice(0, 8)}${String(1 + ((k + round10 * 7) % day)).padStart(2, '0')}`, '', '', '', '基准测试：两万行']);
    }
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    const token = await login(this.api, t.users.clerks[villageId], t.password);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), 'bench-20000.xlsx');
    const stop = this.probes.sampleWaits(100);
    const { result: r, use } = await this.probes.measure(() => http<{ created?: number }>(this.api, 'POST', `/api/v1/villages/${villageId}/entries/upload`, { token, form }));
    const waits = await stop();
    if (r.status >= 300) throw new Error(`upload 20,000-row xlsx: ${r.status} ${JSON.stringify(r.body).slice(0, 800)}`);
    log(`upload 20,000-row xlsx: ${r.status} ${round(r.ms / 1000, 2)} s, created ${String(r.body.created)}`);
    this.add({
      id: 'upload-xlsx-20k',
      group: 'upload',
      title: 'the largest accepted upload: 20,000 entries as one .xlsx over HTTP (village clerk), under the api heap cap',
      headline: { value: round(r.ms / 1000, 3), unit: 's per file', better: 'lower' },
      pgMsPerOp: round(use.pgActiveS * 1000, 0),
      use,
      waits,
      counts: { [`status ${r.status}`]: 1, created: Number(r.body.created ?? 0) },
      details: { fileKb: Math.round(file.length / 1024) },
      notes: ['api RSS max is sampled every 100 ms during the request'],
    });
  }

  private async uploadLimit(): Promise<number> {
    await this.q(`CREATE SCHEMA IF NOT EXISTS bench_limit`);
    await this.q(`DROP TABLE IF EXISTS bench_limit.deed_entries, bench_limit.entry_states`);
    await this.q(`CREATE TABLE bench_limit.deed_entries (LIKE public.deed_entries INCLUDING ALL)`);
    await this.q(`CREATE TABLE bench_limit.entry_states (LIKE public.entry_states INCLUDING ALL)`);
    const t0 = performance.now();
    await this.q(
      `WITH e AS (
         INSERT INTO bench_limit.deed_entries (town_id, village_id, resident_id, item_id, item_code, period, occurred_on, points, explanation, request_hash, entered_by, record_no)
         SELECT r.town_id, r.village_id, r.id, i.id, i.code, $2, ($2 || '-01')::date, 5, '{"codes":["FIXED"],"text":"+5"}'::jsonb, md5(r.id::text || g), r.town_id, md5(r.id::text || g)
           FROM (SELECT * FROM residents WHERE village_id = $1) r CROSS JOIN generate_series(1, 10) g
           CROSS JOIN (SELECT id, code FROM catalog_items WHERE code = 'T10' LIMIT 1) i
         RETURNING id, town_id, village_id, period, points)
       INSERT INTO bench_limit.entry_states (entry_id, town_id, village_id, period, status) SELECT id, town_id, village_id, period, 'submitted' FROM e`,
      [this.town.villages[0].id, this.town.currentPeriod],
    );
    const s = (performance.now() - t0) / 1000;
    await this.q(`DROP TABLE bench_limit.deed_entries, bench_limit.entry_states`);
    return round(s, 3);
  }

  // ---- d. reads ----------------------------------------------------------------------------------

  async reads(): Promise<void> {
    const t = this.town;
    const volume = await this.postingCount();
    const vol = `${(volume / 1e6).toFixed(2)} M postings`;
    const readTarget = (p95: number) => ({ text: `p95 ≤ 50 ms (target stated at 10 M postings; measured at ${vol})`, met: p95 <= 50 });
    this.readTarget = readTarget;

    // Statements of a 2 % sample of the town's residents, as the auditor.
    const auditor = await login(this.api, t.users.auditor, t.password);
    const rnd = prng(t.seed + 2);
    const sample = (await this.q<{ id: string; seq: number }>(`SELECT resident_id AS id, seq FROM accounts WHERE town_id = $1 ORDER BY resident_id`, [t.townId])).filter(() => rnd() < 0.02);
    const ids = sample.map((s) => s.id);
    const avgSeq = round(sample.reduce((a, s) => a + s.seq, 0) / Math.max(1, sample.length), 1);
    // The statement as the console and the phone page ask for it: its newest STATEMENT_PAGE lines.
    const ds = new DataSource(dataSourceOptions(this.dbUrl, 2, 'bench-limit'));
    await ds.initialize();
    let limitStmt: Pct;
    const explain: string[][] = [];
    try {
      // Capture the repository's own SQL (no copy of it here) to EXPLAIN it afterwards.
      const captured = new Map<string, unknown[]>();
      const query = ds.query.bind(ds);
      ds.query = (async (sql: string | { text: string }, params?: unknown[]) => {
        // A prepared statement arrives as pg's { name, text }.
        const text = typeof sql === 'string' ? sql : sql.text;
        if (!captured.has(text)) captured.set(text, params ?? []);
        return query(sql as string, params);
      }) as typeof ds.query;
      const repo = new StatementRepository(ds);
      const lat: number[] = [];
      for (let i = 0; i < Math.min(100, ids.length); i++) {
        const t0 = performance.now();
        // The page's reads as the service does them: the resident with every posting's running
        // figures, then the page's lines joined.
        const found = await repo.findStatementResidentRunning(ids[i]);
        const running = found?.running ?? [];
        if (running.length) await repo.listStatementPostingsBetween(ids[i], running[Math.max(0, running.length - STATEMENT_PAGE)].seq, running[running.length - 1].seq);
        lat.push(performance.now() - t0);
      }
      limitStmt = percentiles(lat);
      for (const [sql, params] of captured) {
        const plan = await query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        explain.push((plan as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']));
      }
    } finally {
      await ds.destroy();
    }
    const stPath = (i: number) => `/api/v1/residents/${ids[i % ids.length]}/statement?limit=${STATEMENT_PAGE}`;
    const wholePath = (i: number) => `/api/v1/residents/${ids[i % ids.length]}/statement`;
    const st = await this.probes.measure(() => sequential(200, this.readSeconds, (i) => http(this.api, 'GET', stPath(i), { token: auditor })));
    if (st.result.statuses['200'] !== st.result.latencyMs.n) throw new Error(`statement: ${JSON.stringify(st.result.statuses)}`);
    const planLine = (plan: string[]) => [plan.find((l) => /^\s*Buffers/.test(l)), ...plan.filter((l) => /Planning Time|Execution Time/.test(l))].filter(Boolean).map((l) => (l as string).trim()).join('; ');
    this.add({
      id: 'statement-c1',
      group: 'read',
      title: `resident statement as the console and the phone page ask for it, its newest ${STATEMENT_PAGE} lines, one at a time (GET /residents/:id/statement?limit=${STATEMENT_PAGE} as auditor; ${ids.length} residents, ${avgSeq} postings each on average)`,
      headline: { value: round(1000 / st.result.latencyMs.mean, 1), unit: 'req/s', better: 'higher' },
      latencyMs: st.result.latencyMs,
      pgMsPerOp: round((st.use.pgActiveS * 1000) / st.result.latencyMs.n, 2),
      limit: { what: `the page's reads alone, as the service does them (findStatementResidentRunning, then listStatementPostingsBetween; same SQL, no HTTP/Nest/JSON)`, value: limitStmt.p95, unit: 'ms p95', latencyMs: limitStmt, ratio: round(st.result.latencyMs.p95 / limitStmt.p95, 1) },
      target: readTarget(st.result.latencyMs.p95),
      use: st.use,
      details: { responseKb: Math.round(st.result.bytes / 1024), explainStatementSql: explain },
      notes: explain.map((plan, k) => `EXPLAIN (ANALYZE, BUFFERS) of the page's read ${k + 1} of ${explain.length} (first use, in the order the sample used them) for one resident: ${planLine(plan)}`),
    });
    let si = 0;
    this.readLoads.push({ id: 'statement-c16', title: `resident statement, newest ${STATEMENT_PAGE} lines, 16 connections`, next: () => ({ path: stPath(si++) }), headers: { authorization: `Bearer ${auditor}` } });
    await this.readLoad('statement-c16', `resident statement, newest ${STATEMENT_PAGE} lines (as the console asks), 16 connections`, () => ({ path: stPath(si++) }), { authorization: `Bearer ${auditor}` }, readTarget);
    // Every line at once, as the print and the exports take it (and as every statement was sent before pages).
    let wi = 0;
    await this.readLoad('statement-whole-c16', `resident statement, every line (as the print and the exports ask), 16 connections, ${avgSeq} lines on average`, () => ({ path: wholePath(wi++) }), { authorization: `Bearer ${auditor}` }, readTarget);

    // Auditors' postings search: a few realistic filters.
    const base = '/api/v1/audit/postings';
    const probeSearch = await http<{ items?: unknown[]; nextCursor?: string | null }>(this.api, 'GET', `${base}?limit=50`, { token: auditor });
    if (probeSearch.status !== 200) {
      this.add({ id: 'search', group: 'read', title: 'auditor postings search', headline: null, notes: [], skipped: `GET ${base} answered ${probeSearch.status} (${JSON.stringify(probeSearch.body).slice(0, 200)}): the auditor module is not there` });
    } else {
      await this.searchReads(auditor, probeSearch.body.nextCursor ?? null, ids, readTarget);
    }
    // The board last: its ~1 MB responses grow the api's heap, which would colour the RSS of what follows.
    await this.boardReads(readTarget);
    await this.twoProcessReads();
  }

  private async searchReads(auditor: string, nextCursor: string | null, ids: string[], readTarget: (p95: number) => Scenario['target']): Promise<void> {
    const t = this.town;
    const base = '/api/v1/audit/postings';
    const v = t.villages[3];
    const variants: Record<string, string> = {
      'town, newest 50': `${base}?limit=50`,
      'town, page 2 (cursor)': nextCursor ? `${base}?limit=50&cursor=${encodeURIComponent(nextCursor)}` : `${base}?limit=50`,
      'village + period range': `${base}?villageId=${v.id}&periodFrom=${t.finalizePeriod}&periodTo=${t.currentPeriod}&limit=50`,
      resident: `${base}?residentId=${ids[0]}&limit=50`,
      'item T10, kind deed': `${base}?itemCode=T10&kind=deed&limit=50`,
      'kind redemption, last month posted': `${base}?kind=redemption&postedFrom=${encodeURIComponent(new Date(Date.now() - 30 * 86_400_000).toISOString())}&limit=50`,
    };
    const perVariant: Record<string, Pct & { status: Record<string, number> }> = {};
    const all: number[] = [];
    const searchUse = await this.probes.measure(async () => {
      for (const [name, path] of Object.entries(variants)) {
        const lat: number[] = [];
        const status: Record<string, number> = {};
        for (let i = 0; i < 30; i++) {
          const r = await http(this.api, 'GET', path, { token: auditor });
          lat.push(r.ms);
          status[r.status] = (status[r.status] ?? 0) + 1;
        }
        all.push(...lat);
        perVariant[name] = { ...percentiles(lat), status };
      }
    });
    const limitSearch = await this.sqlLoop(
      30,
      `SELECT p.id, p.posted_at, p.period, p.kind, p.points, p.village_id, v.name, p.account_id, r.name, p.item_code, p.memo
         FROM postings p JOIN residents r ON r.id = p.account_id JOIN villages v ON v.id = p.village_id
        WHERE p.town_id = $1 ORDER BY p.posted_at DESC, p.id DESC LIMIT 50`,
      () => [t.townId],
    );
    const allPct = percentiles(all);
    const worst = Object.entries(perVariant).sort((a, b) => b[1].p95 - a[1].p95)[0];
    this.add({
      id: 'search-c1',
      group: 'read',
      title: `auditor postings search, one at a time, ${Object.keys(variants).length} filter shapes × 30 (GET /audit/postings)`,
      headline: { value: round(1000 / allPct.mean, 1), unit: 'req/s', better: 'higher' },
      latencyMs: allPct,
      pgMsPerOp: round((searchUse.use.pgActiveS * 1000) / all.length, 2),
      limit: { what: 'hand-written SELECT of the newest 50 postings of the town with names (pg client)', value: limitSearch.p95, unit: 'ms p95', latencyMs: limitSearch, ratio: round(perVariant['town, newest 50'].p95 / limitSearch.p95, 1) },
      target: readTarget(allPct.p95),
      use: searchUse.use,
      details: { perVariant },
      notes: [`slowest filter shape: "${worst[0]}" p95 ${worst[1].p95} ms; ratio compares the "town, newest 50" shape`],
    });
    const paths = Object.values(variants);
    let vi = 0;
    this.readLoads.push({ id: 'search-c16', title: 'auditor postings search, 16 connections, filter shapes rotating', next: () => ({ path: paths[vi++ % paths.length] }), headers: { authorization: `Bearer ${auditor}` } });
    await this.readLoad('search-c16', 'auditor postings search, 16 connections, filter shapes rotating', () => ({ path: paths[vi++ % paths.length] }), { authorization: `Bearer ${auditor}` }, readTarget);
  }

  private async boardReads(readTarget: (p95: number) => Scenario['target']): Promise<void> {
    const t = this.town;
    // Board: publish the 1,500-resident village's reviewed cycle over HTTP, then read it.
    const reviewer = await login(this.api, t.users.reviewer, t.password);
    const pub = await this.probes.measure(() => http(this.api, 'POST', `/api/v1/villages/${t.boardVillage.id}/cycles/${t.boardVillage.period}/publish`, { token: reviewer }));
    this.add({
      id: 'board-publish',
      group: 'read',
      title: `publish the board of a ${t.boardVillage.residents}-resident village (${t.boardVillage.entries} entries), POST …/publish`,
      headline: { value: round(pub.result.ms / 1000, 3), unit: 's', better: 'lower' },
      use: pub.use,
      counts: { [`status ${pub.result.status}`]: 1 },
      notes: pub.result.status >= 300 ? [`publish answered ${pub.result.status}: ${JSON.stringify(pub.result.body).slice(0, 300)}`] : [],
    });
    const boardPath = `/api/v1/public/boards/${t.boardVillage.id}/${t.boardVillage.period}`;
    const probe = await http(this.api, 'GET', boardPath);
    if (probe.status !== 200) {
      this.add({ id: 'board', group: 'read', title: 'board JSON (public)', headline: null, notes: [], skipped: `GET ${boardPath} answered ${probe.status} (${JSON.stringify(probe.body).slice(0, 200)}): the board module is not there or did not publish` });
    } else {
      const limit = await this.sqlLoop(50, `SELECT content::text FROM boards WHERE village_id = $1 AND period = $2`, () => [t.boardVillage.id, t.boardVillage.period]);
      const seq = await this.probes.measure(() => sequential(200, this.readSeconds, () => http(this.api, 'GET', boardPath)));
      this.add({
        id: 'board-c1',
        group: 'read',
        title: `board JSON of the ${t.boardVillage.residents}-resident village, one request at a time (GET /public/boards/:village/:period)`,
        headline: { value: round(1000 / seq.result.latencyMs.mean, 1), unit: 'req/s', better: 'higher' },
        latencyMs: seq.result.latencyMs,
        pgMsPerOp: round((seq.use.pgActiveS * 1000) / seq.result.latencyMs.n, 2),
        limit: { what: 'SELECT content::text of the stored board row (pg client, one at a time)', value: limit.p95, unit: 'ms p95', latencyMs: limit, ratio: round(seq.result.latencyMs.p95 / limit.p95, 1) },
        target: readTarget(seq.result.latencyMs.p95),
        use: seq.use,
        details: { responseKb: Math.round(seq.result.bytes / 1024), statuses: seq.result.statuses },
        notes: [
          `with the api's board cache as configured (BOARD_CACHE_MS, default 5 s): mostly cache hits; see board-nocache-c1 for the render path`,
          `the client (fetch) asks for gzip and inflates the answer, as a browser does`,
        ],
      });
      // As browsers do: ask for gzip (autocannon counts the bytes and does not inflate them).
      this.readLoads.push({ id: 'board-c16', title: 'board JSON, 16 connections, Accept-Encoding: gzip (cache as configured)', next: () => ({ path: boardPath }), headers: { 'accept-encoding': 'gzip' } });
      await this.readLoad('board-c16', `board JSON, 16 connections, Accept-Encoding: gzip (cache as configured)`, () => ({ path: boardPath }), { 'accept-encoding': 'gzip' }, readTarget, (r) => [
        `${Math.round(r.bytesPerReq / 1024)} KB per response on the wire (gzip); the board is ${Math.round(seq.result.bytes / 1024)} K characters unpacked`,
      ]);
      await this.boardWithoutCache(boardPath, limit, readTarget);
    }
  }

  /**
   * The 16-connection reads again against a second api of two processes (API_PROCESSES=2, one per
   * core of this machine), each row put beside its one-process row. BENCH_READ_COMPARE=0 skips it.
   */
  private async twoProcessReads(): Promise<void> {
    if (process.env.BENCH_READ_COMPARE === '0' || this.readLoads.length === 0 || !this.readTarget) return;
    const target = this.readTarget;
    await this.withSecondApi({ API_PROCESSES: '2' }, async (base, cpu) => {
      // Both processes warm (JIT, pools, prepared statements), as the first api is by now.
      for (let i = 0; i < 8; i++) for (const l of this.readLoads) await fetch(`${base}${l.next().path}`, { headers: l.headers }).then((r) => r.arrayBuffer());
      for (const l of this.readLoads) {
        const one = this.scenarios.find((x) => x.id === l.id);
        const c0 = cpu();
        const r = await this.readLoad(`${l.id}-2proc`, `${l.title}; an api of two processes (API_PROCESSES=2)`, l.next, l.headers, target, (res) => [
          one?.latencyMs ? `one process (${l.id}, same run): ${one.headline?.value} req/s, p95 ${one.latencyMs.p95} ms` : '',
          `${res.ok} answers`,
        ].filter(Boolean), 'read', base);
        const cpuS = cpu() - c0;
        const row = this.scenarios[this.scenarios.length - 1];
        // The sampler reads the first api's RSS, idle here: not these processes'.
        if (row.waits) row.waits.apiRssMaxMb = null;
        row.details = { ...row.details, apiCpuMsPerRequest: round((cpuS * 1000) / Math.max(1, r.ok), 2), apiCores: round(cpuS / Math.max(0.001, row.use?.wallS ?? 0), 2) };
        row.notes.push(`the two api processes used ${row.details.apiCores} cores, ${row.details.apiCpuMsPerRequest} ms of CPU per answer (in "others", not "api")`);
        this.placeBeside(l.id);
      }
    });
  }

  /** Moves the row just added to sit right after the row `id` in the report. */
  private placeBeside(id: string): void {
    const at = this.scenarios.findIndex((x) => x.id === id);
    if (at < 0) return;
    const row = this.scenarios.pop() as Scenario;
    this.scenarios.splice(at + 1, 0, row);
  }

  /** withSecondApi for each of `envs` at once (all started, then `fn`, then all stopped). */
  private async withSecondApis(envs: Array<Record<string, string>>, fn: (apis: Array<{ base: string; cpu: () => number }>) => Promise<void>): Promise<void> {
    const apis: Array<{ base: string; cpu: () => number }> = [];
    const next = async (i: number): Promise<void> =>
      i === envs.length
        ? fn(apis)
        : this.withSecondApi(envs[i], async (base, cpu) => {
            apis.push({ base, cpu });
            await next(i + 1);
          });
    await next(0);
  }

  /** A second, short-lived api process with `env` on top of the bench's, for `fn(base, cpuSecondsOfIt)` (its children's included). */
  private async withSecondApi(env: Record<string, string>, fn: (base: string, cpu: () => number) => Promise<void>, profileName?: string): Promise<void> {
    const port = await freePort();
    // BENCH_PROFILE=1: a V8 CPU profile of this process too (bench/run.sh summarizes every profile in the directory).
    const prof = process.env.BENCH_PROFILE === '1' && profileName ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_RESULTS}/tmp/profiles`, `--cpu-prof-name=${profileName}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...prof, `${this.build}/src/main.js`], { env: { ...process.env, PORT: String(port), NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS ?? '', ...env }, stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    try {
      for (let i = 0; ; i++) {
        const ok = await fetch(`${base}/health`).then((r) => r.ok).catch(() => false);
        if (ok) break;
        if (i > 120 || child.exitCode !== null) throw new Error(`the second api (${JSON.stringify(env)}) did not start`);
        await sleep(500);
      }
      await fn(base, () => treeCpuSeconds(child.pid as number));
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 10_000);
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The render path: a second, short-lived api process with BOARD_CACHE_MS=0, one request at a time. */
  private async boardWithoutCache(boardPath: string, limit: Pct, readTarget: (p95: number) => Scenario['target']): Promise<void> {
    // This api has always run with the harness's own NODE_OPTIONS (not BENCH_API_NODE_OPTIONS): kept so its figures compare with earlier runs.
    // The objection limit raised on this api only: the bench files its objections from one address.
    await this.withSecondApi({ BOARD_CACHE_MS: '0', OBJECTION_RATE_LIMIT_PER_MINUTE: '1000', NODE_OPTIONS: process.env.NODE_OPTIONS ?? '' }, async (base, cpu) => {
      await this.boardRenders(base, cpu, boardPath, 'board-nocache-c1', 'board JSON rendered on every request (a second api with BOARD_CACHE_MS=0), one at a time', limit, readTarget, []);
      // The same board with lines under objection spread over it: their pieces are compressed again on every render (board-json.ts).
      const board = (await http<{ residents: Array<{ lines: Array<{ entryId: string }> }> }>(base, 'GET', boardPath)).body;
      const lines = board.residents.flatMap((r) => r.lines);
      const disputed = Array.from({ length: 8 }, (_, i) => lines[Math.floor(((i + 0.5) * lines.length) / 8)]).filter(Boolean);
      const filed = await Promise.all(
        disputed.map((l, i) => http(base, 'POST', `${boardPath}/objections`, { json: { entryId: l.entryId, name: `核对人${i + 1}`, contact: `1380000${String(i).padStart(4, '0')}`, reason: '记录与事实不符，请核实' } })),
      );
      const statuses = filed.map((r) => r.status).join(', ');
      // A row named "disputed" must measure a board with disputed lines.
      if (filed.some((r) => r.status !== 201)) throw new Error(`board objections for the disputed row: answers ${statuses}`);
      await this.boardRenders(base, cpu, boardPath, 'board-nocache-disputed-c1', `the same, with ${disputed.length} lines under objection spread over the board (objections filed over HTTP first)`, limit, readTarget, [
        `${disputed.length} objections filed before the run (answers ${statuses}); each render compresses again every stored piece with a disputed line, and sends the others as stored`,
      ]);
    }, 'api-board-nocache');
  }

  /** One cache-less render after another, as one row (`id`). */
  private async boardRenders(base: string, cpu: () => number, boardPath: string, id: string, title: string, limit: Pct, readTarget: (p95: number) => Scenario['target'], notes: string[]): Promise<void> {
    await http(base, 'GET', boardPath);
    const cpu0 = cpu();
    const seq = await this.probes.measure(() => sequential(100, this.readSeconds, () => http(base, 'GET', boardPath)));
    const apiMsPerReq = round(((cpu() - cpu0) * 1000) / seq.result.latencyMs.n, 1);
    this.add({
      id,
      group: 'read',
      title,
      headline: { value: round(1000 / seq.result.latencyMs.mean, 1), unit: 'req/s', better: 'higher' },
      latencyMs: seq.result.latencyMs,
      pgMsPerOp: round((seq.use.pgActiveS * 1000) / seq.result.latencyMs.n, 2),
      limit: { what: 'SELECT content::text of the stored board row (pg client, one at a time)', value: limit.p95, unit: 'ms p95', latencyMs: limit, ratio: round(seq.result.latencyMs.p95 / limit.p95, 1) },
      target: readTarget(seq.result.latencyMs.p95),
      use: seq.use,
      details: { apiCpuMsPerRequest: apiMsPerReq, responseKb: Math.round(seq.result.bytes / 1024) },
      notes: [`the cache-less api spent ${apiMsPerReq} ms of CPU per board (its cores are not in the "api" column)`, ...notes],
    });
  }

  private async readLoad(
    id: string,
    title: string,
    next: () => { path: string },
    headers: Record<string, string>,
    target: (p95: number) => Scenario['target'],
    notes: (r: LoadResult) => string[] = () => [],
    group: Scenario['group'] = 'read',
    base: string = this.api,
  ): Promise<LoadResult> {
    const stop = this.probes.sampleWaits(100);
    const { result, use } = await this.probes.measure(() => load({ base, connections: 16, seconds: this.readSeconds, method: 'GET', headers, next }));
    const waits = await stop();
    this.add({
      id,
      group,
      title,
      headline: { value: result.okPerS, unit: 'req/s', better: 'higher' },
      latencyMs: result.latencyMs,
      pgMsPerOp: result.ok ? round((use.pgActiveS * 1000) / result.ok, 2) : undefined,
      target: target(result.latencyMs.p95),
      use,
      waits,
      counts: { ...prefixKeys('status ', result.statuses), ...prefixKeys('', result.codes), errors: result.errors, timeouts: result.timeouts },
      notes: notes(result),
    });
    return result;
  }

  // ---- d2. reads with the read replica -----------------------------------------------------------

  /**
   * The 16-connection reads again, against a second api process with DATABASE_REPLICA_URL set
   * (a streaming standby started by scripts/services.sh start-replica on this machine), each row
   * put beside its primary-only row. The standby's own statement time is read from its
   * pg_stat_database, which shows that the reads went there.
   */
  async replicaReads(): Promise<void> {
    if (this.readLoads.length === 0 || !this.readTarget) return;
    // run.sh runs from the repository's root.
    const root = process.cwd();
    execFileSync('bash', [`${root}/scripts/services.sh`, 'start-replica'], { env: process.env, cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const envFile = readFileSync(`${this.state}/env`, 'utf8');
    const replicaUrl = /^DATABASE_REPLICA_URL=(.*)$/m.exec(envFile)?.[1];
    if (!replicaUrl) throw new Error('start-replica wrote no DATABASE_REPLICA_URL');
    const replicaDb = new Client({ connectionString: replicaUrl, application_name: 'bench-probe' });
    await replicaDb.connect();
    const port = await freePort();
    const child = spawn(process.execPath, [`${this.build}/src/main.js`], {
      env: { ...process.env, PORT: String(port), DATABASE_REPLICA_URL: replicaUrl, NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const standbyStats = async () => {
      const [r] = (await replicaDb.query(`SELECT xact_commit::float8 AS x, active_time::float8 AS ms FROM pg_stat_database WHERE datname = current_database()`)).rows as Array<{ x: number; ms: number }>;
      return r;
    };
    try {
      for (let i = 0; ; i++) {
        const ok = await fetch(`${base}/health`).then((r) => r.ok).catch(() => false);
        if (ok) break;
        if (i > 120 || child.exitCode !== null) throw new Error(`the replica api did not start: ${stderr.slice(-2000)}`);
        await sleep(500);
      }
      // The api polls the standby every 250 ms; a few requests warm both pools.
      await sleep(1000);
      for (const l of this.readLoads) await fetch(`${base}${l.next().path}`, { headers: l.headers }).then((r) => r.arrayBuffer());
      for (const l of this.readLoads) {
        const before = await standbyStats();
        const primaryRow = this.scenarios.find((x) => x.id === l.id);
        const r = await this.readLoad(`${l.id}-replica`, `${l.title}; api with DATABASE_REPLICA_URL (reads on the standby)`, l.next, l.headers, this.readTarget, (res) => {
          const primary = primaryRow?.latencyMs ? `primary only (${l.id}, same run): ${primaryRow.headline?.value} req/s, p95 ${primaryRow.latencyMs.p95} ms` : '';
          return [primary, `a second api process (same flags and pool) with DATABASE_REPLICA_URL; the standby is a second PostgreSQL on the same 2 cores (its CPU is in "others")`, `${res.ok} answers`].filter(Boolean);
        }, 'replica', base);
        const after = await standbyStats();
        const scenario = this.scenarios[this.scenarios.length - 1];
        // The sampler reads the first api's RSS, idle here: not this api's.
        if (scenario.waits) scenario.waits.apiRssMaxMb = null;
        scenario.details = { ...scenario.details, standby: { transactions: after.x - before.x, statementMs: round(after.ms - before.ms, 1), msPerRequest: r.ok ? round((after.ms - before.ms) / r.ok, 2) : null } };
        scenario.notes.push(`standby: ${after.x - before.x} transactions, ${round((after.ms - before.ms) / Math.max(1, r.ok), 2)} ms of its statement time per request (PG ms/op is the primary's)`);
        // Beside its primary-only row in the report.
        this.placeBeside(l.id);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 10_000);
        child.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await replicaDb.end();
      execFileSync('bash', [`${root}/scripts/services.sh`, 'stop-replica'], { env: process.env, cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }

  // ---- g. the town admin's dashboard -----------------------------------------------------------

  /**
   * GET /towns/current/dashboard as the town admin, one request at a time (one person looking),
   * for last month (100,000 entries, six months of history postings in its charts) and this month,
   * then 16 connections. Limit: the repository's own queries in process, side by side as the
   * service runs them (pg pool, no HTTP/Nest/JSON), and EXPLAIN of the heaviest.
   */
  async dashboardReads(): Promise<void> {
    const t = this.town;
    const vol = `${((await this.postingCount()) / 1e6).toFixed(2)} M postings`;
    const target = (p95: number) => ({ text: `p95 ≤ 200 ms to data (bench town, measured at ${vol})`, met: p95 <= 200 });
    const admin = await login(this.api, t.users.admin, t.password);
    const periods = [t.finalizePeriod, t.currentPeriod];
    const probe = await http<{ villages?: unknown[]; totals?: { entries: number } }>(this.api, 'GET', `/api/v1/towns/current/dashboard?period=${t.finalizePeriod}`, { token: admin });
    if (probe.status !== 200) {
      this.add({ id: 'dashboard', group: 'dashboard', title: 'town dashboard', headline: null, notes: [], skipped: `GET /towns/current/dashboard answered ${probe.status} (${JSON.stringify(probe.body).slice(0, 200)})` });
      return;
    }
    const path = (i: number) => `/api/v1/towns/current/dashboard?period=${periods[i % periods.length]}`;
    const perPeriod: Record<string, number[]> = { [t.finalizePeriod]: [], [t.currentPeriod]: [] };
    const seq = await this.probes.measure(() =>
      sequential(300, this.readSeconds, async (i) => {
        const r = await http(this.api, 'GET', path(i), { token: admin });
        perPeriod[periods[i % periods.length]].push(r.ms);
        return r;
      }),
    );
    if (seq.result.statuses['200'] !== seq.result.latencyMs.n) throw new Error(`dashboard: ${JSON.stringify(seq.result.statuses)}`);

    const ds = new DataSource(dataSourceOptions(this.dbUrl, 8, 'bench-limit'));
    await ds.initialize();
    let limit: Pct;
    let explain: string[];
    let backlogPlan: string[];
    try {
      const repo = new DashboardRepository(ds);
      const months = monthsUpTo(t.finalizePeriod, DASHBOARD_MONTHS);
      const lat: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        await Promise.all([
          repo.townSettings(t.townId),
          repo.cyclesOfPeriod(t.townId, t.finalizePeriod),
          repo.entriesOfPeriod(t.townId, t.finalizePeriod),
          repo.exportBacklog(t.townId, t.finalizePeriod),
          repo.postingsByMonth(t.townId, months),
          repo.shopNames(t.townId),
          repo.gradeCounts(t.townId),
        ]);
        lat.push(performance.now() - t0);
      }
      limit = percentiles(lat);
      const plan = await ds.query(
        `EXPLAIN (ANALYZE, BUFFERS) SELECT period, village_id, kind, counterparty, sum(postings)::int, sum(added)::int, sum(deducted)::int
           FROM dashboard_posting_totals WHERE town_id = $1 AND period = ANY($2::text[]) GROUP BY 1, 2, 3, 4`,
        [t.townId, months],
      );
      explain = (plan as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']);
      // The export backlog panel's query as the repository sends it, explained (after the
      // finalize group the month's outbox rows are all pending: no export endpoint here).
      const explaining = { query: (sql: string, params?: unknown[]) => ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params) };
      backlogPlan = (await repo.exportBacklog(t.townId, t.finalizePeriod, explaining)).map((r) => (r as unknown as { 'QUERY PLAN': string })['QUERY PLAN']);
    } finally {
      await ds.destroy();
    }
    const rowsInWindow = (await this.q<{ n: number }>(`SELECT count(*)::int AS n FROM postings WHERE town_id = $1 AND period = ANY($2::text[])`, [t.townId, monthsUpTo(t.finalizePeriod, DASHBOARD_MONTHS)]))[0].n;
    this.add({
      id: 'dashboard-c1',
      group: 'dashboard',
      title: `town dashboard as the town admin, one at a time, last month and this month alternating (GET /towns/current/dashboard; ${probe.body.villages?.length ?? 0} villages, ${probe.body.totals?.entries ?? 0} entries last month, ${rowsInWindow} postings in its 6 chart months)`,
      headline: { value: round(1000 / seq.result.latencyMs.mean, 1), unit: 'req/s', better: 'higher' },
      latencyMs: seq.result.latencyMs,
      pgMsPerOp: round((seq.use.pgActiveS * 1000) / seq.result.latencyMs.n, 2),
      limit: { what: 'the repository queries alone, side by side (pg pool, no HTTP/Nest/JSON), last month', value: limit.p95, unit: 'ms p95', latencyMs: limit, ratio: round(percentiles(perPeriod[t.finalizePeriod]).p95 / limit.p95, 1) },
      target: target(seq.result.latencyMs.p95),
      use: seq.use,
      details: { perPeriod: Object.fromEntries(Object.entries(perPeriod).map(([p, l]) => [p, percentiles(l)])), responseKb: Math.round(seq.result.bytes / 1024), explainPostingsByMonth: explain, explainExportBacklog: backlogPlan },
      notes: [
        ...(explain.length ? [`EXPLAIN (ANALYZE, BUFFERS) of the chart query (dashboard_posting_totals): ${explain.filter((l) => /Planning Time|Execution Time/.test(l)).map((l) => l.trim()).join('; ')}`] : []),
        `EXPLAIN (ANALYZE, BUFFERS) of the export backlog query (${(await this.q<{ n: number }>(`SELECT count(*)::int AS n FROM credit_outbox WHERE status = 'pending'`))[0].n} pending outbox rows): ${backlogPlan.filter((l) => /Planning Time|Execution Time/.test(l)).map((l) => l.trim()).join('; ')}`,
      ],
    });
    let i = 0;
    await this.readLoad('dashboard-c16', 'town dashboard, 16 connections (as if 16 admins and auditors at once)', () => ({ path: path(i++) }), { authorization: `Bearer ${admin}` }, target, () => [], 'dashboard');
  }

  private async sqlLoop(n: number, sql: string, params: (i: number) => unknown[]): Promise<Pct> {
    const lat: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await this.db.query(sql, params(i));
      lat.push(performance.now() - t0);
    }
    return percentiles(lat);
  }

  // ---- e. verify ---------------------------------------------------------------------------------

  async verify(): Promise<void> {
    const volume = await this.postingCount();
    const { result, use } = await this.probes.measure(
      () =>
        new Promise<{ code: number; out: string; s: number }>((resolve, reject) => {
          const t0 = performance.now();
          const child = spawn(process.execPath, [`${this.build}/src/database/cli.js`, 'verify-ledger'], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          child.on('error', reject);
          child.on('exit', (code) => resolve({ code: code ?? -1, out, s: (performance.now() - t0) / 1000 }));
        }),
    );
    const m = /verified (\d+) accounts, (\d+) postings/.exec(result.out);
    const checked = m ? Number(m[2]) : 0;
    const rate = Math.round(checked / result.s);
    // Limit: the chain part of the check as one SQL pass (recompute every hash, compare with the stored one and with the next prev_hash).
    const t0 = performance.now();
    const [lim] = await this.q<{ n: number; bad: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT ok)::int AS bad FROM (
         SELECT hash = encode(sha256(convert_to('["xinyi-posting-v1",' || to_json(account_id::text)::text || ',' || seq || ',' || to_json(kind)::text || ',' || points || ','
                  || to_json(source_ref)::text || ',' || to_json(counterparty)::text || ',' || to_json(period)::text || ',' || coalesce(to_json(item_code)::text, 'null') || ','
                  || coalesce(to_json(memo)::text, 'null') || ',' || to_json(to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text || ','
                  || to_json(prev_hash::text)::text || ']', 'UTF8')), 'hex')
                AND prev_hash = coalesce(lag(hash) OVER w, repeat('0', 64)) AND seq = row_number() OVER w AS ok
           FROM postings WINDOW w AS (PARTITION BY account_id ORDER BY seq)) x`,
    );
    const limitRate = Math.round(lim.n / ((performance.now() - t0) / 1000));
    this.add({
      id: 'verify',
      group: 'verify',
      title: `verify every chain: node dist/src/database/cli.js verify-ledger (${(volume / 1e6).toFixed(2)} M postings)`,
      headline: { value: rate, unit: 'postings/s', better: 'higher' },
      pgMsPerOp: round((use.pgActiveS * 1e6) / Math.max(1, checked), 2),
      limit: { what: 'one SQL pass recomputing every hash and prev-hash link (window over (account_id, seq)); no projection check', value: limitRate, unit: 'postings/s', ratio: round(rate / limitRate, 2) },
      use,
      counts: { exitCode: result.code, postingsChecked: checked, accounts: m ? Number(m[1]) : 0, sqlPassBroken: lim.bad },
      details: { seconds: round(result.s), output: result.out.trim().split('\n').slice(0, 5) },
      notes: ['pgMsPerOp here is PostgreSQL µs per posting', result.code === 0 ? 'ledger OK' : `verify-ledger exited ${result.code}`],
    });
  }

  // ---- run ---------------------------------------------------------------------------------------

  // ---- f. console (issue 15 budgets, issue 16 till timings) ----------------------------------

  async consoleBudgets(): Promise<void> {
    const t = this.town;
    // 1. First load: what the login page loads, gzip, and its load time in Chromium.
    const { assets } = await consoleAssets(this.api);
    const gzipKb = round(assets.reduce((a, x) => a + x.gzipBytes, 0) / 1024, 1);
    const rawKb = round(assets.reduce((a, x) => a + x.bytes, 0) / 1024, 1);
    const encodings = [...new Set(assets.map((a) => a.servedEncoding ?? 'identity'))];
    this.add({
      id: 'console-first-load-size',
      group: 'console',
      title: 'console first load: JS + CSS the login page loads (index.html scripts, stylesheets, modulepreloads), gzip',
      headline: { value: gzipKb, unit: 'KB gzip', better: 'lower' },
      target: { text: '≤ 350 KB gzip', met: gzipKb <= 350 },
      counts: { files: assets.length },
      details: { rawKb, servedEncodings: encodings, assets: assets.map((a) => ({ path: a.path, kind: a.kind, kb: round(a.bytes / 1024, 1), gzipKb: round(a.gzipBytes / 1024, 1) })) },
      notes: [`fetched from the api at /console/ (served as ${encodings.join(', ')}); gzip = zlib level 6 of each file as served; ${rawKb} KB uncompressed`],
    });
    // The resident's phone page (issue 18 §2): what /r/ loads before it asks the api anything.
    const phone = await pageAssets(this.api, '/r/');
    const phoneKb = round(phone.assets.reduce((a, x) => a + x.gzipBytes, 0) / 1024, 1);
    const phoneRawKb = round(phone.assets.reduce((a, x) => a + x.bytes, 0) / 1024, 1);
    this.add({
      id: 'resident-page-first-load-size',
      group: 'console',
      title: "resident phone page first load: JS + CSS /r/ loads (index.html scripts, stylesheets, modulepreloads), gzip",
      headline: { value: phoneKb, unit: 'KB gzip', better: 'lower' },
      target: { text: '≤ 150 KB gzip (cheap Android phone, slow connection)', met: phoneKb <= 150 },
      counts: { files: phone.assets.length },
      details: { rawKb: phoneRawKb, assets: phone.assets.map((a) => ({ path: a.path, kind: a.kind, kb: round(a.bytes / 1024, 1), gzipKb: round(a.gzipBytes / 1024, 1) })) },
      notes: [`fetched from the api at /r/; gzip = zlib level 6 of each file as served; ${phoneRawKb} KB uncompressed; the two api answers that follow (/resident/me, /resident/me/board) are not counted`],
    });
    const browser = await launch();
    try {
      const samples = num('BENCH_CONSOLE_LOAD_SAMPLES', 10);
      const pl = await loginPageLoad(browser, this.api, samples);
      this.add({
        id: 'console-login-load',
        group: 'console',
        title: 'console login page load in Chromium (cold cache, new context per sample, 127.0.0.1)',
        headline: { value: pl.formShownMs.p95, unit: 'ms p95 to login form shown', better: 'lower' },
        latencyMs: pl.formShownMs,
        details: { loadEventMs: pl.loadMs, transferredBytes: pl.transferredBytes },
        notes: [`${samples} samples; latency = goto → 用户名 field visible; loadEventMs = Navigation Timing loadEventEnd; no budget in the issues (reported only)`],
      });

      // 2. Entry save over HTTP: a village clerk's POST /villages/:id/entries.
      const villageId = t.uploadVillages[t.uploadVillages.length - 1];
      const token = await login(this.api, t.users.clerks[villageId], t.password);
      const residentIds = (await this.q<{ id: string }>(`SELECT id FROM residents WHERE village_id = $1 AND status = 'active' ORDER BY card_code`, [villageId])).map((r) => r.id);
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const run = Date.now().toString(36);
      let n = 0;
      const body = () => {
        const i = n++;
        return { residentId: residentIds[i % residentIds.length], itemCode: FIXED_ITEMS[i % 3], occurredOn: today, evidenceNote: '基准测试：录入', idempotencyKey: `bench-entry-${run}-${i}` };
      };
      const entrySeconds = num('BENCH_ENTRY_SECONDS', 10);
      const seq = await this.probes.measure(() => sequential(2000, entrySeconds, () => http(this.api, 'POST', `/api/v1/villages/${villageId}/entries`, { token, json: body() })));
      const bad = Object.entries(seq.result.statuses).filter(([st]) => Number(st) >= 300);
      if (bad.length) throw new Error(`entry save: statuses ${JSON.stringify(seq.result.statuses)}`);
      const conc: Record<string, LoadResult> = {};
      for (const c of [4, 16]) {
        conc[`c${c}`] = await load({
          base: this.api,
          connections: c,
          seconds: entrySeconds,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          next: () => ({ path: `/api/v1/villages/${villageId}/entries`, body: JSON.stringify(body()) }),
        });
        log(`entry save c${c}: ${conc[`c${c}`].okPerS}/s p95 ${conc[`c${c}`].latencyMs.p95} ms statuses ${JSON.stringify(conc[`c${c}`].statuses)}`);
      }
      const p95 = seq.result.latencyMs.p95;
      const worst = Math.max(p95, ...Object.values(conc).map((r) => r.latencyMs.p95));
      this.add({
        id: 'entry-save',
        group: 'console',
        title: 'entry save over HTTP (village clerk, POST /api/v1/villages/:id/entries), sequential',
        headline: { value: p95, unit: 'ms p95', better: 'lower' },
        latencyMs: seq.result.latencyMs,
        target: { text: '≤ 100 ms p95 (sequential: one clerk)', met: p95 <= 100 },
        use: seq.use,
        counts: { saved: seq.result.latencyMs.n },
        details: {
          statuses: seq.result.statuses,
          concurrent: Object.fromEntries(Object.entries(conc).map(([k, r]) => [k, { okPerS: r.okPerS, latencyMs: r.latencyMs, statuses: r.statuses, codes: r.codes, errors: r.errors, timeouts: r.timeouts }])),
          worstP95Ms: worst,
        },
        notes: [
          `sequential ${entrySeconds} s, then autocannon at ${Object.keys(conc).join(', ')} for ${entrySeconds} s each; all with one clerk's token, rotating residents, items ${FIXED_ITEMS.slice(0, 3).join('/')}, today`,
          ...Object.entries(conc).map(([k, r]) => `${k}: ${r.okPerS} saves/s, p50/p95/p99 ${r.latencyMs.p50}/${r.latencyMs.p95}/${r.latencyMs.p99} ms${r.latencyMs.p95 <= 100 ? '' : ' (over 100 ms)'}`),
        ],
      });

      // 3. The till: scan → basket ready, 兑换 → receipt shown, in Chromium.
      const barcode = '6909999999994';
      const [g] = await this.q<{ name: string; price: number }>(`UPDATE goods SET barcode = $2 WHERE id = $1 RETURNING name, price_points AS price`, [t.goods.hot, barcode]);
      const sales = num('BENCH_TILL_SALES', 40);
      const buyers = await this.q<{ card: string; name: string; balance: number }>(
        `SELECT r.card_code AS card, r.name, a.balance FROM residents r JOIN accounts a ON a.resident_id = r.id
          WHERE r.status = 'active' AND a.balance >= $1 AND r.village_id <> ALL($2::uuid[]) ORDER BY r.card_code LIMIT $3`,
        [g.price, t.uploadVillages, sales],
      );
      const people: TillPerson[] = buyers.map((b) => ({ cardCode: b.card, maskedName: maskName(b.name), balance: b.balance, balanceAfter: b.balance - g.price }));
      const till = await this.probes.measure(() => tillTimings(browser, this.api, { terminalKey: t.terminalKey, clerk: t.users.shopClerk, password: t.password, barcode, goodsName: g.name, people }));
      const scan = percentiles(till.result.scanToBasketMs);
      const sale = percentiles(till.result.redeemToReceiptMs);
      const common = [`${people.length} sales of one ${g.name} (${g.price} points) to different residents, one browser, the bench terminal's key in the page's storage (as pairing leaves it), clerk ${t.users.shopClerk} signed in; timed in the page (MutationObserver) as test/console/till.test.ts`];
      if (till.result.pageErrors.length) common.push(`page errors: ${till.result.pageErrors.slice(0, 3).join(' | ')}`);
      this.add({
        id: 'till-scan-to-basket',
        group: 'console',
        title: 'till: scan card + scan goods barcode → basket ready (Chromium)',
        headline: { value: scan.p95, unit: 'ms p95', better: 'lower' },
        latencyMs: scan,
        target: { text: '≤ 150 ms p95', met: scan.p95 <= 150 },
        use: till.use,
        notes: common,
      });
      // Where 兑换 → receipt went (Resource Timing of the POST in the page), per part.
      const parts = till.result.sales;
      const part = (k: 'beforeRequestMs' | 'requestMs' | 'ttfbMs' | 'afterResponseMs') => percentiles(parts.map((x) => x[k]));
      const withOthers = parts.filter((x) => x.otherRequests.length);
      const slowest = [...parts].sort((a, b) => b.totalMs - a.totalMs).slice(0, 3);
      const breakdown = { beforeRequestMs: part('beforeRequestMs'), requestMs: part('requestMs'), ttfbMs: part('ttfbMs'), afterResponseMs: part('afterResponseMs') };
      this.add({
        id: 'till-redeem-to-receipt',
        group: 'console',
        title: 'till: 兑换 → receipt shown (Chromium)',
        headline: { value: sale.p95, unit: 'ms p95', better: 'lower' },
        latencyMs: sale,
        target: { text: '≤ 150 ms p95', met: sale.p95 <= 150 },
        // Same run as the scan (one browser session): the same machine use, and the report prints the notes.
        use: till.use,
        details: { breakdown, slowest },
        notes: [
          ...common,
          `parts, p50/p95 ms: click → POST sent ${breakdown.beforeRequestMs.p50}/${breakdown.beforeRequestMs.p95}; POST ${breakdown.requestMs.p50}/${breakdown.requestMs.p95} (api ttfb ${breakdown.ttfbMs.p50}/${breakdown.ttfbMs.p95}); response → receipt on screen ${breakdown.afterResponseMs.p50}/${breakdown.afterResponseMs.p95}`,
          `other requests inside the window: ${withOthers.length} of ${parts.length} sales${withOthers.length ? ` (${[...new Set(withOthers.flatMap((x) => x.otherRequests))].join(', ')})` : ''}`,
          `slowest: ${slowest.map((x) => `${x.totalMs} ms = ${x.beforeRequestMs} + ${x.requestMs} (ttfb ${x.ttfbMs}) + ${x.afterResponseMs}`).join('; ')}`,
        ],
      });
    } finally {
      await browser.close();
    }
  }

  async main(): Promise<void> {
    const startedAt = new Date().toISOString();
    const loadStart = (process.env.BENCH_LOAD_START ?? '').split(' ').filter(Boolean).map(Number);
    this.db = new Client({ connectionString: this.dbUrl, application_name: 'bench-probe' });
    await this.db.connect();
    this.probes = new Probes(this.db, this.pids);
    try {
      const machine = await this.machine();
      const settings = Object.fromEntries(
        (await this.q<{ name: string; setting: string; unit: string | null }>(
          `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers','fsync','synchronous_commit','full_page_writes','wal_level','max_connections','max_wal_size','work_mem','commit_delay','checkpoint_timeout')`,
        )).map((s) => [s.name, s.unit ? `${s.setting} ${s.unit}` : s.setting]),
      );
      const volumeBefore = await this.postingCount();
      if (this.want('finalize')) await this.finalize();
      if (this.want('finalize') && num('BENCH_POSTBATCH_POSTINGS', 100_000) > 0) await this.ledgerBatch();
      if (this.want('redeem')) await this.redemptions();
      if (this.want('upload')) await this.upload();
      // The replica group runs the reads first (its rows go beside theirs).
      if (this.want('read') || this.only.has('replica')) await this.reads();
      if (this.want('replica')) await this.replicaReads();
      if (this.want('dashboard')) await this.dashboardReads();
      if (this.want('verify')) await this.verify();
      if (this.want('console')) await this.consoleBudgets();
      const results: BenchResults = {
        startedAt,
        finishedAt: new Date().toISOString(),
        machine,
        config: {
          size: this.town.size,
          only: [...this.only],
          seed: this.town.seed,
          villages: this.town.villages.length,
          residents: this.town.villages.reduce((s, v) => s + v.residents, 0),
          finalizeEntries: this.town.finalizeEntries,
          historyPostings: this.town.historyPostings,
          redeemSeconds: this.redeemSeconds,
          readSeconds: this.readSeconds,
          apiPoolSize: Number(process.env.DATABASE_POOL_SIZE ?? 20),
          workerConcurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
          logLevel: process.env.LOG_LEVEL ?? 'info',
          apiNodeOptions: process.env.BENCH_API_NODE_OPTIONS ?? '',
          // autocannon keeps every response body (as shipped) only with BENCH_KEEP_BODIES=1 (bench/http.ts).
          loadGeneratorKeepsBodies: process.env.BENCH_KEEP_BODIES === '1',
          postgres: settings,
          buildSeconds: Number(process.env.BENCH_BUILD_SECONDS ?? NaN),
        },
        volume: { postingsAtStart: volumeBefore, postingsAtEnd: await this.postingCount() },
        generate: this.town.timings,
        scenarios: this.scenarios,
        processes: { apiPeakRssMb: memMb(this.pids.api, 'VmHWM'), workerPeakRssMb: memMb(this.pids.worker, 'VmHWM'), apiRssMaxUnderLoadMb: this.rssUnderLoad || null },
        slowStatements: this.slowStatements(),
        loadAverage: { start: loadStart, end: loadAverage() },
      };
      const dir = env('BENCH_RESULTS');
      mkdirSync(dir, { recursive: true });
      const stamp = results.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      writeFileSync(`${dir}/${stamp}.json`, `${JSON.stringify(results, null, 2)}\n`);
      // latest.md is the default full run; a county or partial run gets its own name.
      const latest = `latest${this.town.size === 'county' ? '-county' : ''}${this.only.size ? `-${[...this.only].join('-')}` : ''}.md`;
      writeFileSync(`${dir}/${latest}`, renderMarkdown(results, `${stamp}.json`));
      log(`results: ${dir}/${stamp}.json and ${dir}/${latest}`);
    } finally {
      await this.db.end();
    }
  }

  private async machine(): Promise<Record<string, unknown>> {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const [pgv] = await this.q<{ v: string }>(`SELECT version() AS v`);
    const redis = (() => {
      try {
        return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
      } catch {
        return 'unknown';
      }
    })();
    return {
      nproc: os.cpus().length,
      cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown',
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      kernel: os.release(),
      node: process.version,
      postgres: pgv.v.split(',')[0],
      redis,
      dataDirFdatasyncPerS: fsyncRate(this.state),
    };
  }

  /** The service's statements PostgreSQL logged as slower than 250 ms (log_min_duration_statement, set by run.sh), outside traced runs. */
  private slowStatements(): Array<{ ms: number; statement: string; times: number }> {
    const file = `${this.pgdata}/server.log`;
    if (!existsSync(file)) return [];
    const out: Array<{ ms: number; statement: string }> = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // Only the service's own connections: api/worker ('xinyi'), the CLI ('xinyi-cli'), ledger-batch ('xinyi-bench').
      const m = /\] (xinyi[\w-]*): LOG: {2}duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)$/.exec(line);
      if (m) out.push({ ms: Math.round(Number(m[2])), statement: `[${m[1]}] ${m[3].replace(/\s+/g, ' ').slice(0, 300)}` });
    }
    // Group by statement text: the slowest of each, and how often it was slow.
    const by = new Map<string, { ms: number; statement: string; times: number }>();
    for (const s of out) {
      const k = s.statement.slice(0, 120);
      const cur = by.get(k);
      if (!cur) by.set(k, { ...s, times: 1 });
      else by.set(k, { ...cur, ms: Math.max(cur.ms, s.ms), times: cur.times + 1 });
    }
    return [...by.values()].sort((a, b) => b.ms - a.ms).slice(0, 15);
  }
}

function tableWritesNote(w: Record<string, TableWrites>): string {
  const parts = Object.entries(w).map(([t, x]) => `${t} ${x.inserts} inserts, ${x.updates} updates (${x.hotUpdates} HOT${x.hotPct === null ? '' : `, ${x.hotPct} %`})${x.autovacuums ? `, ${x.autovacuums} autovacuum(s)` : ''}`);
  return `row writes (pg_stat_user_tables): ${parts.join('; ')}`;
}

function phaseText(p: Record<string, number>): string {
  return `parse ${p.parse} ms, bind/plan ${p.bind} ms, execute ${p.execute} ms, simple-protocol commands ${p.statement} ms`;
}

function prefixKeys(prefix: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}${k}`, v]));
}

if (require.main === module) {
  new Bench().main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

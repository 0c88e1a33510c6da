/**
 * What the harness watches while a scenario runs: CPU seconds per process (api, worker,
 * PostgreSQL with its backends, Redis, the load generator itself, the whole machine),
 * PostgreSQL's own counters (commits, time spent executing statements, WAL flushes), sampled
 * pg_stat_activity wait events, and the api's resident memory.
 */
import { cpus } from 'node:os';
import type { Client } from 'pg';
import { childPids, cpuSeconds, machineCpu, memMb, round, sleep } from './lib';

export interface Pids {
  api: number;
  worker: number;
  postmaster: number;
  redis: number;
}

interface Snapshot {
  t: number;
  cpu: Record<string, number>;
  machine: { busy: number; total: number };
  db: { commits: number; rollbacks: number; activeMs: number; blksRead: number; blksHit: number };
  wal: { records: number; bytes: number; syncs: number; writes: number };
}

export interface ResourceUse {
  wallS: number;
  /** CPU cores used on average by each component (1.0 = one core busy the whole time); `others` = the rest of the machine. */
  cores: Record<string, number>;
  /** Busy share of all the machine's cores (includes other people's work on a shared machine). */
  machineBusyPct: number;
  /** PostgreSQL: time spent executing statements, summed over backends (pg_stat_database.active_time). */
  pgActiveS: number;
  commits: number;
  rollbacks: number;
  /** WAL flushes (fsync/fdatasync) and what they carried. */
  walSyncs: number;
  walMb: number;
  blksRead: number;
  blksHit: number;
}

export interface WaitSample {
  samples: number;
  /** Average number of app backends in each state per sample: `active:<wait type>:<event>` or the idle states. */
  avgBackends: Record<string, number>;
  apiRssMaxMb: number | null;
}

/** Row writes to one table between two snapshots (pg_stat_user_tables): how many updates were HOT. */
export interface TableWrites {
  inserts: number;
  updates: number;
  hotUpdates: number;
  /** Share of the updates that were HOT (no new index entries, the new version on the same page); null without updates. */
  hotPct: number | null;
  autovacuums: number;
  autoanalyzes: number;
}

type TableCounters = Record<string, { ins: number; upd: number; hot: number; av: number; aa: number }>;

export class Probes {
  constructor(
    private readonly db: Client,
    private readonly pids: Pids,
  ) {}

  private async snapshot(): Promise<Snapshot> {
    const pg = [this.pids.postmaster, ...childPids(this.pids.postmaster)];
    const cpu = {
      api: cpuSeconds(this.pids.api),
      worker: cpuSeconds(this.pids.worker),
      // Backends that exited were reaped by the postmaster: its cutime/cstime keep their CPU.
      postgres: cpuSeconds(this.pids.postmaster, true) + pg.slice(1).reduce((s, p) => s + cpuSeconds(p), 0),
      redis: cpuSeconds(this.pids.redis),
      // This process (autocannon, the samplers) and its finished children (pgbench, the verify CLI).
      bench: cpuSeconds('self', true),
    };
    const [d] = (
      await this.db.query(
        `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks, active_time AS "activeMs", blks_read::float8 AS "blksRead", blks_hit::float8 AS "blksHit"
           FROM pg_stat_database WHERE datname = current_database()`,
      )
    ).rows;
    const [w] = (await this.db.query(`SELECT wal_records::float8 AS records, wal_bytes::float8 AS bytes, wal_sync::float8 AS syncs, wal_write::float8 AS writes FROM pg_stat_wal`)).rows;
    return { t: performance.now(), cpu, machine: machineCpu(), db: d, wal: w };
  }

  /** Runs `work` between two snapshots; PostgreSQL's counters are flushed lazily, so we wait a little before the second. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; use: ResourceUse }> {
    const a = await this.snapshot();
    const result = await work();
    const wallS = (performance.now() - a.t) / 1000;
    await sleep(1500);
    await this.db.query('SELECT pg_stat_clear_snapshot()');
    const b = await this.snapshot();
    const cores: Record<string, number> = {};
    for (const k of Object.keys(a.cpu)) cores[k] = round((b.cpu[k] - a.cpu[k]) / wallS);
    // Everything else that ran on the machine meanwhile (it is shared: test runs, other services).
    const machineCores = ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * cpus().length;
    cores.others = round(Math.max(0, machineCores - Object.values(cores).reduce((x, y) => x + y, 0)));
    return {
      result,
      use: {
        wallS: round(wallS),
        cores,
        machineBusyPct: round((100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total), 1),
        pgActiveS: round((b.db.activeMs - a.db.activeMs) / 1000),
        commits: b.db.commits - a.db.commits,
        rollbacks: b.db.rollbacks - a.db.rollbacks,
        walSyncs: b.wal.syncs - a.wal.syncs,
        walMb: round((b.wal.bytes - a.wal.bytes) / 1048576, 1),
        blksRead: b.db.blksRead - a.db.blksRead,
        blksHit: b.db.blksHit - a.db.blksHit,
      },
    };
  }

  /** pg_stat_user_tables counters of these tables now (flushed lazily: take the second after measure()'s wait). */
  async tableCounters(tables: string[]): Promise<TableCounters> {
    await this.db.query('SELECT pg_stat_clear_snapshot()');
    const r = await this.db.query(
      `SELECT relname AS t, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot, autovacuum_count::float8 AS av, autoanalyze_count::float8 AS aa
         FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname = ANY($1::text[])`,
      [tables],
    );
    return Object.fromEntries(r.rows.map((x) => [x.t, { ins: x.ins, upd: x.upd, hot: x.hot, av: x.av, aa: x.aa }]));
  }

  static tableWrites(a: TableCounters, b: TableCounters): Record<string, TableWrites> {
    const out: Record<string, TableWrites> = {};
    for (const [t, y] of Object.entries(b)) {
      const x = a[t] ?? { ins: 0, upd: 0, hot: 0, av: 0, aa: 0 };
      const updates = y.upd - x.upd;
      const hotUpdates = y.hot - x.hot;
      out[t] = { inserts: y.ins - x.ins, updates, hotUpdates, hotPct: updates ? round((100 * hotUpdates) / updates, 1) : null, autovacuums: y.av - x.av, autoanalyzes: y.aa - x.aa };
    }
    return out;
  }

  /** Samples pg_stat_activity of the app's backends (application_name 'xinyi') and the api's RSS until stopped. */
  sampleWaits(intervalMs = 100): () => Promise<WaitSample> {
    let stop = false;
    let samples = 0;
    let rss = 0;
    const counts: Record<string, number> = {};
    const loop = (async () => {
      while (!stop) {
        const r = await this.db.query(
          `SELECT state, wait_event_type AS type, wait_event AS event FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'xinyi' AND backend_type = 'client backend'`,
        );
        samples++;
        for (const row of r.rows) {
          const key = row.state === 'active' ? `active:${row.type ?? 'CPU'}${row.event ? `:${row.event}` : ''}` : String(row.state);
          counts[key] = (counts[key] ?? 0) + 1;
        }
        rss = Math.max(rss, memMb(this.pids.api, 'VmRSS') ?? 0);
        await sleep(intervalMs);
      }
    })();
    return async () => {
      stop = true;
      await loop;
      const avgBackends: Record<string, number> = {};
      for (const [k, v] of Object.entries(counts).sort((x, y) => y[1] - x[1])) avgBackends[k] = round(v / Math.max(1, samples));
      return { samples, avgBackends, apiRssMaxMb: rss || null };
    };
  }
}

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

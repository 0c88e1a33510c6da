/**
 * Shared pieces of the benchmark harness (bench/run.sh → generate.ts → scenarios.ts): the shape
 * of the generated town, a seeded PRNG, statistics, and small process / PostgreSQL probes.
 * Nothing here is used by the service itself.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'pg';

/** The generated town, written by generate.ts to $BENCH_STATE/town.json and read by scenarios.ts. */
export interface BenchTown {
  seed: number;
  size: 'town' | 'county';
  townId: string;
  townCode: string;
  /** The month whose cycles the finalize scenario posts (last month, Asia/Shanghai). */
  finalizePeriod: string;
  /** The current month: uploads land here. */
  currentPeriod: string;
  villages: Array<{ id: string; code: string; residents: number; cycleId: string | null }>;
  /** The 1,500-resident village whose board is published over HTTP and read. */
  boardVillage: { id: string; code: string; residents: number; period: string; entries: number };
  /** Villages reserved for the upload scenario (one file each, so no duplicate-batch refusal). */
  uploadVillages: string[];
  shop: { id: string; code: string };
  goods: { hot: string; spread: string[] };
  terminalKey: string;
  password: string;
  users: { admin: string; auditor: string; reviewer: string; shopClerk: string; clerks: Record<string, string> };
  finalizeEntries: number;
  /** Postings written by the set-based history generator (synthetic history, real hash chains). */
  historyPostings: number;
  timings: Record<string, number>;
}

/** mulberry32: small, well known, deterministic; ample for made-up names and codes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

/** Exact percentile (nearest rank) of an unsorted sample, in the sample's unit. */
export function percentiles(sample: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  if (sample.length === 0) return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const s = Float64Array.from(sample).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(s[s.length - 1]), mean: round(mean) };
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export async function withClient<T>(url: string, appName: string, work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, application_name: appName });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** Shanghai (UTC+8, no DST) month of an instant. */
export function shanghaiPeriod(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 7);
}

export function previousPeriod(p: string): string {
  const [y, m] = p.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

// ---- process probes (Linux /proc) -------------------------------------------------------------

const CLK_TCK = 100;

/**
 * user+system CPU seconds of one process (0 when it is gone); with `reaped`, plus the CPU of its
 * children that have exited and been waited for (PostgreSQL backends that closed, for the
 * postmaster; the verify CLI and pgbench, for this process).
 */
export function cpuSeconds(pid: number | 'self', reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime/stime are fields 14/15, cutime/cstime 16/17.
    const own = Number(fields[11]) + Number(fields[12]);
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / CLK_TCK;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of a process and every descendant, live or exited and reaped (an api started with
 * API_PROCESSES=N is a supervisor whose N api processes are its children).
 */
export function treeCpuSeconds(pid: number): number {
  return cpuSeconds(pid, true) + childPids(pid).reduce((s, c) => s + treeCpuSeconds(c), 0);
}

/** Children of a process (PostgreSQL backends are children of the postmaster). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A VmHWM / VmRSS line of /proc/<pid>/status, in MB. */
export function memMb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** Whole-machine CPU jiffies (busy, total) from /proc/stat: the machine is shared. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** fdatasync()s per second of 8 kB writes into `dir`: what a durable commit costs on this disk. */
export function fsyncRate(dir: string, seconds = 2): number {
  const file = `${dir}/.fsync-probe`;
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(8192, 1);
  let n = 0;
  const end = Date.now() + seconds * 1000;
  try {
    while (Date.now() < end) {
      writeSync(fd, buf, 0, buf.length, 0);
      fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
  return Math.round(n / seconds);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

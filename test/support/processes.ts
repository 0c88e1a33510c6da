import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a built entry point (dist/src/…) as a real process; scripts/test.sh builds first. */
export function spawnBuilt(entry: 'main' | 'worker' | 'database/cli', args: string[], env: Record<string, string>): Spawned {
  const file = join(ROOT, 'dist', 'src', `${entry}.js`);
  if (!existsSync(file)) throw new Error(`${file} missing: run npm run build first`);
  return watch(spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/**
 * Collects a child's output; `exited` resolves once the process has exited AND its stdout and
 * stderr are drained ('close', not 'exit': 'exit' can come while the last lines are still in
 * the pipe, and a test reading the output then missed the shutdown lines now and then).
 */
export function watch(child: ChildProcess): Spawned {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/**
 * SIGTERM, then SIGKILL if it has not exited within `graceMs`: a test that fails half-way (say,
 * with Redis still stopped) must not leave an api or worker running after the suite.
 */
export async function stopSpawned(p: Spawned | undefined, graceMs = 10_000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([p.exited, late])) === 'late') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  clearTimeout(timer);
}

/**
 * Starts the built api on a port the kernel picks (PORT=0) and reads the address it really got
 * from its "api listening on" line. A port picked beforehand by the test (freePort) can be taken
 * by another process before the api binds it, and then the test talks to the wrong server or to
 * none. Logs at info at least, since that line is what we wait for.
 */
export async function spawnApi(env: Record<string, string>, timeoutMs = 60_000): Promise<Spawned & { url: string }> {
  const quiet = ['silent', 'fatal', 'error', 'warn'].includes(env.LOG_LEVEL ?? '');
  const api = spawnBuilt('main', [], { ...env, PORT: '0', HOST: '127.0.0.1', ...(quiet ? { LOG_LEVEL: 'info' } : {}) });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /api listening on (http:\/\/[^\s"]+)/.exec(api.output());
    if (m) return { ...api, url: m[1].replace('[::1]', '127.0.0.1') };
    if (api.child.exitCode !== null || api.child.signalCode !== null || Date.now() > deadline) {
      await stopSpawned(api, 1000);
      throw new Error(`api did not start listening (exit ${api.child.exitCode ?? api.child.signalCode ?? 'none, timed out'}):\n${tail(api.output())}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last lines a process printed, for an error message. */
export function tail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs `fn`; if it throws, the error carries what the given processes printed, so a failure in a
 * hook that talks to a spawned api says why the api was not there.
 */
export async function explainWith<T>(procs: Array<Spawned | undefined>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const said = procs
      .filter((p): p is Spawned => !!p)
      .map((p) => `--- pid ${p.child.pid} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}):\n${tail(p.output())}`)
      .join('\n');
    if (err instanceof Error) err.message = `${err.message}\n${said}`;
    throw err;
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The api's glibc malloc setting (GLIBC_TUNABLES) as scripts/api-node-options.sh sets it for dev.sh and the bench. */
export function apiGlibcTunables(): string {
  const m = /^XINYI_API_GLIBC_TUNABLES="([^"]*)"$/m.exec(readFileSync(join(ROOT, 'scripts', 'api-node-options.sh'), 'utf8'));
  if (!m) throw new Error('scripts/api-node-options.sh sets no XINYI_API_GLIBC_TUNABLES');
  return m[1];
}

/** The api's Node flags (its heap cap) as scripts/api-node-options.sh sets them for dev.sh and the bench. */
export function apiNodeOptions(): string {
  const m = /^XINYI_API_NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(join(ROOT, 'scripts', 'api-node-options.sh'), 'utf8'));
  if (!m) throw new Error('scripts/api-node-options.sh sets no XINYI_API_NODE_OPTIONS');
  return m[1];
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * A PostgreSQL/Redis pair of a test's own (scripts/services.sh in a private state dir), for
 * fault tests that stop and restart a server without disturbing the shared ones.
 */
export class OwnServices {
  readonly stateDir = join(ROOT, '.local', `fault-${randomBytes(4).toString('hex')}`);
  databaseUrl = '';
  redisUrl = '';
  replicaUrl = '';

  private run(cmd: 'start' | 'stop' | 'destroy' | 'start-replica' | 'stop-replica', extra: Record<string, string> = {}, args: string[] = []): void {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    Object.assign(env, { XINYI_STATE_DIR: this.stateDir, XINYI_PG_FAST: '1', XINYI_PG_DB: 'xinyi' }, extra);
    execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), cmd, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** Starts both; a restart reuses the ports it had, so clients can reconnect. */
  start(): void {
    const port = (url: string) => (url ? new URL(url).port : '0');
    this.run('start', { XINYI_PG_PORT: port(this.databaseUrl), XINYI_REDIS_PORT: port(this.redisUrl) });
    for (const line of readFileSync(join(this.stateDir, 'env'), 'utf8').split('\n')) {
      if (line.startsWith('DATABASE_URL=')) this.databaseUrl = line.slice('DATABASE_URL='.length);
      if (line.startsWith('REDIS_URL=')) this.redisUrl = line.slice('REDIS_URL='.length);
    }
  }

  stop(): void {
    this.run('stop');
  }

  /** A streaming standby of this PostgreSQL (scripts/services.sh start-replica); a restart keeps its port. */
  startReplica(): void {
    this.run('start-replica', { DATABASE_URL: this.databaseUrl, REDIS_URL: this.redisUrl, XINYI_PG_REPLICA_PORT: this.replicaUrl ? new URL(this.replicaUrl).port : '0' });
    const line = readFileSync(join(this.stateDir, 'env'), 'utf8').split('\n').find((l) => l.startsWith('DATABASE_REPLICA_URL='));
    if (!line) throw new Error('services.sh start-replica wrote no DATABASE_REPLICA_URL');
    this.replicaUrl = line.slice('DATABASE_REPLICA_URL='.length);
  }

  stopReplica(): void {
    this.run('stop-replica');
  }

  /** Stops one of them only (the other keeps running). */
  stopOnly(which: 'postgres' | 'redis'): void {
    this.run('stop', {}, [which]);
  }

  startOnly(which: 'postgres' | 'redis'): void {
    const port = (url: string) => new URL(url).port;
    this.run('start', which === 'postgres' ? { REDIS_URL: this.redisUrl, XINYI_PG_PORT: port(this.databaseUrl) } : { DATABASE_URL: this.databaseUrl, XINYI_REDIS_PORT: port(this.redisUrl) });
  }

  /** Stops both and deletes their data, including PostgreSQL's data dir when it lives in /var/tmp. */
  destroy(): void {
    try {
      this.run('destroy');
    } finally {
      rmSync(this.stateDir, { recursive: true, force: true });
    }
  }
}

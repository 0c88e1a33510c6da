import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OwnServices } from '../support/services';

const ROOT = join(__dirname, '..', '..');

/**
 * `scripts/services.sh stop` stops what its state dir started, by pid, even with the env file
 * sourced (both URLs set). It used to leave a service alone whenever its URL was set, so every
 * caller had to unset them first, and one that did not (bench/ab.sh) left PostgreSQL and Redis
 * running. `stop postgres` / `stop redis` stop one alone (OwnServices.stopOnly, the outage tests).
 */
describe('scripts/services.sh stop', () => {
  const own = new OwnServices();
  /** services.sh in own's state dir, with these URLs set (or none). */
  const services = (cmd: 'stop' | 'status', urls: Record<string, string> = {}): string => {
    const env: NodeJS.ProcessEnv = { ...process.env, XINYI_STATE_DIR: own.stateDir };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    return execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), cmd], { env: { ...env, ...urls }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  afterAll(() => {
    own.destroy();
  });

  it('stops its own PostgreSQL and Redis though DATABASE_URL and REDIS_URL name them', () => {
    own.start();
    expect(services('status')).toMatch(/postgres: running[\s\S]*redis: running/);
    expect(own.databaseUrl).toMatch(/^postgres(ql)?:\/\/.*127\.0\.0\.1/);
    services('stop', { DATABASE_URL: own.databaseUrl, REDIS_URL: own.redisUrl });
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: stopped/);
  }, 120_000);

  it('stop redis / stop postgres stop that one alone', () => {
    own.start();
    own.stopOnly('redis');
    expect(services('status')).toMatch(/postgres: running[\s\S]*redis: stopped/);
    own.start();
    own.stopOnly('postgres');
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: running/);
    own.stop();
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: stopped/);
  }, 120_000);

  it('given services by URL and none started here, stop stops nothing and succeeds', () => {
    services('stop', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/elsewhere', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: stopped/);
  });
});

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const STATE = join(ROOT, '.local', 'services-stop-test');

function services(cmd: string, extra: Record<string, string> = {}, args: string[] = []): string {
  const env: NodeJS.ProcessEnv = { ...process.env, XINYI_STATE_DIR: STATE, XINYI_PG_PORT: '0', XINYI_REDIS_PORT: '0', XINYI_PG_FAST: '1', XINYI_PG_DB: 'xinyi' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), cmd, ...args], { env: { ...env, ...extra }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `scripts/services.sh stop` stops what its state dir started, by pid, even with the env file
 * sourced (both URLs set). It used to leave a service alone whenever its URL was set, so every
 * caller had to unset them first, and one that did not (bench/ab.sh) left PostgreSQL and Redis
 * running.
 */
describe('scripts/services.sh stop', () => {
  afterAll(() => {
    services('destroy');
  });

  it('stops its own PostgreSQL and Redis though DATABASE_URL and REDIS_URL name them', () => {
    services('start');
    expect(services('status')).toMatch(/postgres: running[\s\S]*redis: running/);
    const urls = Object.fromEntries(
      readFileSync(join(STATE, 'env'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
    expect(urls.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/.*127\.0\.0\.1/);
    services('stop', { DATABASE_URL: urls.DATABASE_URL, REDIS_URL: urls.REDIS_URL });
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: stopped/);
  }, 120_000);

  it('stop redis / stop postgres stop that one alone', () => {
    services('start');
    services('stop', {}, ['redis']);
    expect(services('status')).toMatch(/postgres: running[\s\S]*redis: stopped/);
    services('start');
    services('stop', {}, ['postgres']);
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: running/);
    services('stop');
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: stopped/);
  }, 120_000);

  it('given services by URL and none started here, stop stops nothing and succeeds', () => {
    services('stop', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/elsewhere', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(services('status')).toMatch(/postgres: stopped[\s\S]*redis: stopped/);
  });
});

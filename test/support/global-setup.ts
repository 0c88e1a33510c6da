import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { adminQuery, DEMO_TEMPLATE_DB, TEMPLATE_DB, withDatabase } from './db';

const ROOT = join(__dirname, '..', '..');

/**
 * Integration tests need real PostgreSQL and Redis. scripts/test.sh starts throwaway ones and
 * exports their URLs; run alone (e.g. `npx vitest run --project integration`) we start them here
 * and stop them afterwards. Then one template database is migrated (migrations seed the
 * catalogue), and each test
 * file clones it (test/support/db.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  let startedHere = false;
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    const stateDir = join(ROOT, '.local', 'vitest');
    const env = { ...process.env, XINYI_STATE_DIR: stateDir, XINYI_PG_PORT: '0', XINYI_REDIS_PORT: '0', XINYI_PG_FAST: '1', XINYI_PG_DB: 'xinyi_test' };
    execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'start'], { env, stdio: 'inherit' });
    for (const line of readFileSync(join(stateDir, 'env'), 'utf8').split('\n')) {
      const [k, ...v] = line.split('=');
      if (k) process.env[k] = v.join('=');
    }
    startedHere = true;
  }
  const base = process.env.DATABASE_URL as string;
  // The demo template is seeded from this one on first use (createDemoDatabase): drop last run's.
  await adminQuery(base, `DROP DATABASE IF EXISTS "${DEMO_TEMPLATE_DB}" WITH (FORCE)`);
  await adminQuery(base, `DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
  await adminQuery(base, `CREATE DATABASE "${TEMPLATE_DB}"`);
  const ds = new DataSource(dataSourceOptions(withDatabase(base, TEMPLATE_DB), 2, 'xinyi-test-setup'));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();

  return async () => {
    if (startedHere) {
      const env: NodeJS.ProcessEnv = { ...process.env, XINYI_STATE_DIR: join(ROOT, '.local', 'vitest') };
      delete env.DATABASE_URL;
      delete env.REDIS_URL;
      execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'stop'], { env, stdio: 'inherit' });
    }
  };
}

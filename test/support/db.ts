import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { spawnBuilt, tail } from './processes';

export const TEMPLATE_DB = 'xinyi_template';
/** The template with the demo town seeded by the built CLI (`seed-demo`), for the console tests. */
export const DEMO_TEMPLATE_DB = 'xinyi_demo_template';

/** The URL of another database on the same server. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated, seeded template (fast: a file copy). */
export async function createTestDatabase(baseUrl: string, template = TEMPLATE_DB): Promise<{ name: string; url: string }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return { name, url: withDatabase(baseUrl, name) };
}

/**
 * A fresh database holding what `node dist/src/database/cli.js seed-demo` writes into a fresh
 * one: the seed (fixed dates, no clock) runs once per suite run, into DEMO_TEMPLATE_DB, and each
 * console test file clones that instead of starting the CLI itself. The first caller seeds it
 * under a session advisory lock (two files may start at once) into a scratch name and renames it
 * when complete; global-setup drops it at the start of a run, so it is always today's code.
 */
export async function createDemoDatabase(baseUrl: string): Promise<{ name: string; url: string }> {
  const admin = new Client({ connectionString: withDatabase(baseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_advisory_lock(hashtext($1))`, [DEMO_TEMPLATE_DB]);
    const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DEMO_TEMPLATE_DB]);
    if (!rowCount) {
      const scratch = `${DEMO_TEMPLATE_DB}_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${scratch}" TEMPLATE "${TEMPLATE_DB}"`);
      const seed = spawnBuilt('database/cli', ['seed-demo'], { DATABASE_URL: withDatabase(baseUrl, scratch), LOG_LEVEL: 'silent' });
      const { code } = await seed.exited;
      if (code !== 0) {
        await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
        throw new Error(`seed-demo failed:\n${tail(seed.output())}`);
      }
      await admin.query(`ALTER DATABASE "${scratch}" RENAME TO "${DEMO_TEMPLATE_DB}"`);
    }
  } finally {
    await admin.end(); // ends the session, and with it the advisory lock
  }
  return createTestDatabase(baseUrl, DEMO_TEMPLATE_DB);
}

export async function dropTestDatabase(baseUrl: string, name: string): Promise<void> {
  await adminQuery(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

import { afterAll, beforeAll } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { createTestDatabase, dropTestDatabase } from './db';

/**
 * A database of the test file's own (cloned from the migrated template) and a small DataSource
 * on it, for tests that move its migrations or its tables around: opened before the file's
 * tests, dropped after them. Call it in a describe block; the getter gives the DataSource.
 */
export function useOwnDataSource(applicationName: string): () => DataSource {
  const base = () => process.env.DATABASE_URL as string;
  let ds: DataSource | undefined;
  let name: string | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase(base());
    name = db.name;
    ds = await new DataSource(dataSourceOptions(db.url, 2, applicationName)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    if (name) await dropTestDatabase(base(), name);
  });
  return () => {
    if (!ds) throw new Error('useOwnDataSource: the DataSource is open only inside the tests');
    return ds;
  };
}

/** Undoes the newest migrations down to and including `migration` (by class name). */
export async function undoMigrationsThrough(ds: DataSource, migration: string): Promise<void> {
  for (;;) {
    const [last] = await ds.query(`SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1`);
    if (!last) throw new Error(`${migration} is not applied`);
    await ds.undoLastMigration({ transaction: 'each' });
    if (last.name === migration) return;
  }
}

import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/**
 * One definition of how we talk to PostgreSQL, shared by the Nest module, the migration CLI and
 * the test harness. `synchronize` is never on: the schema comes only from migrations/.
 */
export function dataSourceOptions(url: string, poolSize = 10, appName = 'xinyi'): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: appName,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // A statement stuck longer than this is a bug or an outage, not work to wait for.
      statement_timeout: 60000,
      idle_in_transaction_session_timeout: 60000,
    },
  };
}

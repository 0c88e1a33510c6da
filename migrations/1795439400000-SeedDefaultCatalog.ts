import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_CATALOG, validateCatalogData } from '../src/catalog/default-catalog';

/**
 * Seeds the default catalogue (66 trust + 87 breach items) from the reviewed data file. The
 * migration refuses a file that fails validation, so a bad edit cannot reach a database.
 */
export class SeedDefaultCatalog1795439400000 implements MigrationInterface {
  name = 'SeedDefaultCatalog1795439400000';

  async up(q: QueryRunner): Promise<void> {
    const problems = validateCatalogData(DEFAULT_CATALOG);
    if (problems.length) throw new Error(`default catalogue invalid: ${problems.join('; ')}`);
    const [version] = await q.query(
      `INSERT INTO catalog_versions (code, name, description) VALUES ($1, $2, $3) RETURNING id`,
      [DEFAULT_CATALOG.version, DEFAULT_CATALOG.name, DEFAULT_CATALOG.description],
    );
    await q.query(
      `INSERT INTO catalog_items (version_id, code, category, name, description, sign, rule, caps)
       SELECT $1, i.code, i.category, i.name, i.description, i.sign, i.rule, i.caps
       FROM jsonb_to_recordset($2::jsonb) AS i(code text, category text, name text, description text, sign smallint, rule jsonb, caps jsonb)`,
      [version.id, JSON.stringify(DEFAULT_CATALOG.items)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // catalog_items is append-only; the schema migration's down drops the table instead.
    await q.query(`SELECT 1`);
  }
}

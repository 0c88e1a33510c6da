import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, the board's render path: boards.content jsonb → json. A board is written once at
 * publish and read whole on every render; PostgreSQL's jsonb output function rebuilt the ~1 MB
 * text of a 1,500-resident board on each read (the larger part of PostgreSQL's time per render),
 * where json is stored as the text it was given and is sent as it is. Nothing queries inside the
 * column (the app parses it), so nothing else changes. The rewrite keeps each board's content
 * (jsonb's text form of it, which parses to the same value).
 */
export class BoardContentJson1795900000000 implements MigrationInterface {
  name = 'BoardContentJson1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "boards" ALTER COLUMN "content" TYPE json USING "content"::json`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "boards" ALTER COLUMN "content" TYPE jsonb USING "content"::jsonb`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, the board's render path with the cache off: boards.public_parts holds, written once at
 * publish, the JSON board's parts that no request or later event changes (src/board/board-json.ts):
 * a render splices the lines' live standing into these bytes instead of parsing and re-serialising
 * the ~1.6 MB content. bytea, read as base64: pg hands a text column over only as a decoded
 * string (UTF-8 decoding of a board costs more than the whole splice), base64 decodes to the
 * bytes several times faster. Null for boards published before (those render from the content,
 * as before); `content` stays the board's record. `public_parts_version` is the format the parts
 * were written in (BOARD_PARTS_VERSION): a render uses them only in that version, so a release
 * that changes the board's JSON renders older boards from their content.
 */
export class BoardPublicParts1796200000000 implements MigrationInterface {
  name = 'BoardPublicParts1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "boards" ADD "public_parts" bytea, ADD "public_parts_version" smallint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "boards" DROP COLUMN "public_parts", DROP COLUMN "public_parts_version"`);
  }
}

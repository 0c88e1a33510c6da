import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scheduled month-end close moves from the 1st to a town setting: the day of the next month
 * (00:10 Asia/Shanghai) on which last month's cycles close. Default 5: villages type up last
 * month's paper records in the first days of the month. At most 28, so every month has the day.
 */
export class TownCloseDay1795470000000 implements MigrationInterface {
  name = 'TownCloseDay1795470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "towns" ADD "close_day" integer NOT NULL DEFAULT 5`);
    await q.query(`ALTER TABLE "towns" ADD CONSTRAINT "ck_towns_close_day" CHECK (close_day BETWEEN 1 AND 28)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "towns" DROP CONSTRAINT "ck_towns_close_day"`);
    await q.query(`ALTER TABLE "towns" DROP COLUMN "close_day"`);
  }
}

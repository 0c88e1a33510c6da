import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed logins slow down the guessing (username, client) pair instead of locking the account
 * for everyone: five wrong passwords from anyone used to lock a staff member out for 15 minutes.
 */
export class LoginThrottle1795474000001 implements MigrationInterface {
  name = 'LoginThrottle1795474000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "login_failures" ("username" text NOT NULL, "client" text NOT NULL, "failures" integer NOT NULL, "last_failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "blocked_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_72de0b03e6e43ca73890e0d7b07" PRIMARY KEY ("username", "client"))`);
    await queryRunner.query(`CREATE INDEX "IDX_02d51d3c6952fbbea35d155019" ON "login_failures"  ("last_failed_at") `);
    await queryRunner.query(`ALTER TABLE "staff_users" DROP COLUMN "locked_until"`);
    await queryRunner.query(`ALTER TABLE "staff_users" DROP COLUMN "failed_logins"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "staff_users" ADD "failed_logins" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "staff_users" ADD "locked_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`DROP INDEX "public"."IDX_02d51d3c6952fbbea35d155019"`);
    await queryRunner.query(`DROP TABLE "login_failures"`);
  }
}

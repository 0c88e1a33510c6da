import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Login sessions, checked on every staff request so that logout, deactivation and a password
 * change end them at once (an access token used to work until it expired). Refresh-token
 * families still live get a session row, so nobody logged in is thrown out by the upgrade
 * beyond their current access token (it carries no session id: one refresh mends that).
 * `must_change_password` marks a one-time password from `cli.js create-town`.
 */
export class StaffSessions1795474000000 implements MigrationInterface {
  name = 'StaffSessions1795474000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "staff_sessions" ("id" uuid NOT NULL, "staff_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ended_at" TIMESTAMP WITH TIME ZONE, "end_reason" text, CONSTRAINT "PK_b9be2467392ab95efaa3661cce2" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_ae03d284bbb21fcd9dee7c1b61" ON "staff_sessions"  ("staff_id") `);
    await queryRunner.query(`ALTER TABLE "staff_users" ADD "must_change_password" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `INSERT INTO staff_sessions (id, staff_id, created_at)
       SELECT family_id, min(staff_id::text)::uuid, min(created_at) FROM refresh_tokens
       WHERE revoked_at IS NULL AND expires_at > now() GROUP BY family_id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "staff_users" DROP COLUMN "must_change_password"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ae03d284bbb21fcd9dee7c1b61"`);
    await queryRunner.query(`DROP TABLE "staff_sessions"`);
  }
}

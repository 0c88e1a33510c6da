/**
 * First install for a real town: the town and its first town admin, who logs in with a
 * one-time password and must change it before anything else (AUTH.PASSWORD_CHANGE_REQUIRED).
 * Everything else (villages, shops, staff, terminals, catalogue adoption, roster) the admin then
 * does through the API or the console. One transaction; refuses a taken code or username.
 */
import type { DataSource } from 'typeorm';
import { AuditLogRepository } from '@app/audit/audit.repository';
import { AuditService } from '@app/audit/audit.service';
import { AuthService } from '@app/auth/auth.service';
import { oneTimePassword } from '@app/auth/one-time-password';
import { DEFAULT_CATALOG } from '@app/catalog/default-catalog';

export const TOWN_CODE = /^[A-Z0-9]{2,16}$/;
export const STAFF_USERNAME = /^[a-z0-9._-]{3,40}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface CreateTownInput {
  name: string;
  code: string;
  admin: string;
  adminName?: string;
  /** Adopt the default catalogue in force from this day (YYYY-MM-DD); else the admin adopts later. */
  catalogFrom?: string;
}

export class CreateTownError extends Error {}

export { oneTimePassword };

/** Problems with the input, one line each; empty when it is fine. */
export function checkCreateTownInput(i: Partial<CreateTownInput>): string[] {
  const problems: string[] = [];
  if (!i.name || i.name.trim().length === 0 || i.name.length > 40) problems.push('--name: the town name, 1–40 characters (e.g. 侯营镇)');
  if (!i.code || !TOWN_CODE.test(i.code)) problems.push('--code: 2–16 upper-case letters or digits (e.g. HOUYING)');
  if (!i.admin || !STAFF_USERNAME.test(i.admin)) problems.push('--admin: the first admin username, 3–40 of a-z 0-9 . _ -');
  if (i.adminName !== undefined && (i.adminName.trim().length === 0 || i.adminName.length > 40)) problems.push('--admin-name: 1–40 characters');
  if (i.catalogFrom !== undefined && (!DATE.test(i.catalogFrom) || Number.isNaN(Date.parse(`${i.catalogFrom}T00:00:00Z`)))) problems.push('--catalog-from: a date YYYY-MM-DD');
  return problems;
}

export async function createTown(ds: DataSource, input: CreateTownInput): Promise<{ townId: string; adminId: string; password: string; lines: string[] }> {
  const problems = checkCreateTownInput(input);
  if (problems.length) throw new CreateTownError(problems.join('\n'));
  const password = oneTimePassword();
  const passwordHash = await AuthService.hashPassword(password);
  return ds.transaction(async (m) => {
    if ((await m.query(`SELECT 1 FROM towns WHERE code = $1`, [input.code])).length) throw new CreateTownError(`a town with code ${input.code} exists already: nothing changed`);
    if ((await m.query(`SELECT 1 FROM staff_users WHERE username = $1`, [input.admin])).length) throw new CreateTownError(`username ${input.admin} is taken: nothing changed`);
    const [town] = await m.query(`INSERT INTO towns (code, name) VALUES ($1, $2) RETURNING id`, [input.code, input.name.trim()]);
    const [admin] = await m.query(
      `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, must_change_password) VALUES ($1, $2, $3, 'town_admin', $4, true) RETURNING id`,
      [input.admin, input.adminName?.trim() ?? '镇管理员', passwordHash, town.id],
    );
    const lines = [`town ${input.name} (${input.code}) created: ${town.id}`];
    if (input.catalogFrom) {
      const [version] = await m.query(`SELECT id FROM catalog_versions WHERE code = $1`, [DEFAULT_CATALOG.version]);
      if (!version) throw new CreateTownError(`catalogue version ${DEFAULT_CATALOG.version} missing: run migrate first`);
      await m.query(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, $3)`, [town.id, version.id, input.catalogFrom]);
      lines.push(`  catalogue ${DEFAULT_CATALOG.version} in force from ${input.catalogFrom}`);
    }
    await new AuditService(new AuditLogRepository(ds)).record(
      null,
      { action: 'town.create', targetType: 'town', targetId: town.id, townId: town.id, summary: { code: input.code, admin: input.admin, catalogFrom: input.catalogFrom ?? null } },
      m,
    );
    lines.push(
      `  town admin: ${input.admin}`,
      `  one-time password (shown only now): ${password}`,
      `  log in and change it first (POST /api/v1/auth/password); until then every other call answers AUTH.PASSWORD_CHANGE_REQUIRED`,
    );
    return { townId: town.id as string, adminId: admin.id as string, password, lines };
  });
}

import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchFunctionSql, RedemptionStatementRepository } from '@app/shop/redemption-statement.repository';
import { startStack, type TestStack } from '../support/app';

/**
 * The server-side form of a redemption batch (batchFunctionSql): created by the api at boot if
 * this version's function is not there, once however many processes start together; where it
 * cannot be created, batches take the client-side savepoint form. Its behaviour (one transaction,
 * each redemption failing alone, the lock timeout) is tested in redeem-batch.test.ts for both forms.
 */
describe('the redemption batch function', () => {
  let stack: TestStack;
  const { name } = batchFunctionSql();
  const count = async () => Number((await stack.db.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = $1`, [name]))[0].n);
  const form = (repo: RedemptionStatementRepository) => (repo as unknown as { batchFunction: boolean }).batchFunction;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.close());

  it('the api created it at boot; processes starting together create it once, without an error', async () => {
    expect(await count()).toBe(1);
    expect(form(stack.api.get(RedemptionStatementRepository))).toBe(true);
    await stack.db.query(`DROP FUNCTION ${name}(jsonb, uuid[], int)`);
    const repos = Array.from({ length: 6 }, () => new RedemptionStatementRepository(stack.db));
    await Promise.all(repos.map((r) => r.onModuleInit()));
    expect(repos.map(form)).toEqual([true, true, true, true, true, true]);
    expect(await count()).toBe(1);
  });

  it('where it cannot be created, batches use the savepoint form, and boot goes on', async () => {
    const refused = { transaction: () => Promise.reject(new Error('permission denied for schema public')) } as unknown as DataSource;
    const repo = new RedemptionStatementRepository(refused);
    await expect(repo.onModuleInit()).resolves.toBeUndefined();
    expect(form(repo)).toBe(false);
  });

  it('is generated from the statement: every parameter comes from the redemption’s values, and its name follows its text', () => {
    const { ddl } = batchFunctionSql();
    expect(ddl).not.toMatch(/\$\d/);
    expect(ddl).toContain(`FUNCTION ${name}(`);
    expect(name).toMatch(/^xinyi_redeem_batch_[0-9a-f]{16}$/);
    expect(ddl).toContain('FOR UPDATE SKIP LOCKED');
  });
});

import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { requireTransaction } from './sql';

/** The two facts requireTransaction reads, as TypeORM sets them on a manager. */
const manager = (queryRunner?: { isTransactionActive: boolean }) => ({ queryRunner }) as unknown as EntityManager;

describe('requireTransaction', () => {
  it('hands back the manager of an open transaction', () => {
    const m = manager({ isTransactionActive: true });
    expect(requireTransaction(m, 'a notice')).toBe(m);
  });

  it.each([
    ['the pool (no query runner: DataSource.manager)', manager()],
    ['a query runner whose transaction ended or never began', manager({ isTransactionActive: false })],
  ])('refuses %s, naming the write', (_what, m) => {
    expect(() => requireTransaction(m, 'a notice')).toThrow('a notice must run inside the transaction of what causes it');
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { prepared, queryOne, queryRows } from '@app/database/sql';
import { useOwnDataSource } from '../support/own-database';

describe('prepared statements through TypeORM (src/database/sql.ts)', () => {
  const ds = useOwnDataSource('xinyi-test-prepared');
  beforeAll(async () => {
    await ds().query(`CREATE TABLE prep_t (id int PRIMARY KEY, v text)`);
  });

  it('names are derived from the text: same text, same name; other text, other name', () => {
    expect(prepared('SELECT 1').name).toBe(prepared('SELECT 1').name);
    expect(prepared('SELECT 1').name).not.toBe(prepared('SELECT 2').name);
    expect(prepared('SELECT 1').name).toMatch(/^xinyi_[0-9a-f]{24}$/);
  });

  it('runs as a named statement PostgreSQL keeps on the connection, with the same results as plain SQL', async () => {
    const insert = prepared(`INSERT INTO prep_t (id, v) SELECT * FROM unnest($1::int[], $2::text[]) RETURNING id`);
    const update = prepared(`UPDATE prep_t SET v = v || '!' WHERE id = ANY($1::int[]) RETURNING id, v`);
    const select = prepared(`SELECT id, v FROM prep_t WHERE id = $1`);
    const qr = ds().createQueryRunner();
    try {
      // Twice on one connection: the second run reuses the statement (pg would refuse a clash).
      expect(await queryRows(qr.manager, insert, [[1, 2], ['a', 'b']])).toEqual([{ id: 1 }, { id: 2 }]);
      expect(await queryRows(qr.manager, insert, [[3], ['c']])).toEqual([{ id: 3 }]);
      // UPDATE's [rows, count] shape is normalized as for plain SQL.
      expect(await queryRows(qr.manager, update, [[1, 3]])).toEqual([
        { id: 1, v: 'a!' },
        { id: 3, v: 'c!' },
      ]);
      expect(await queryOne(qr.manager, select, [2])).toEqual(await queryOne(qr.manager, `SELECT id, v FROM prep_t WHERE id = $1`, [2]));
      const names = (await qr.query(`SELECT name FROM pg_prepared_statements`)).map((r: { name: string }) => r.name);
      expect(names).toEqual(expect.arrayContaining([insert.name, update.name, select.name]));
    } finally {
      await qr.release();
    }
  });

  it('errors keep the driver code callers map (a unique violation is still 23505)', async () => {
    const insert = prepared(`INSERT INTO prep_t (id, v) VALUES ($1, $2)`);
    const err = await queryRows(ds(), insert, [1, 'again']).catch((e: unknown) => e);
    expect((err as { driverError?: { code?: string } }).driverError?.code).toBe('23505');
    // The pool's connections still work afterwards.
    expect(await queryOne(ds(), prepared(`SELECT count(*)::int AS n FROM prep_t`))).toEqual({ n: 3 });
  });
});

import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { shanghaiDate } from '@app/common/time';
import { ENTRY_UPLOAD_MAX_ROWS } from '@app/entries/entries-upload.service';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { bearer, seedTown, type TownFixture } from '../support/fixtures';
import { apiGlibcTunables, apiNodeOptions, spawnApi, stopSpawned } from '../support/processes';

/** Resident memory of a process now (VmRSS), MB. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** Peak resident memory of a process (VmHWM), MB. */
function peakRssMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/**
 * The largest upload (20,000 rows of .xlsx) through a real api process started with the heap cap
 * of the deployment files (scripts/api-node-options.sh, docker-compose.yml): it stores every row, and a file with one bad row gets its 400 and its
 * 20,000-row error report, within the cap (before the streaming reader, exceljs alone needed
 * more than a 64 MB heap for the file, and a 128 MB cap crashed the api on it).
 */
describe('the largest .xlsx upload under the api heap cap', () => {
  const base = () => process.env.DATABASE_URL as string;
  let db: { name: string; url: string };
  let f: TownFixture;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let clerk: string;
  let people: Array<{ card: string; name: string }>;
  const today = shanghaiDate(new Date());
  const items = ['T10', 'T11', 'T17', 'T19', 'T22', 'T24', 'T43', 'B02', 'B05', 'B06'];

  const workbook = async (rows: string[][]): Promise<Buffer> => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('积分记录');
    ws.addRow(['卡号', '姓名', '事项编码', '发生日期', '数量', '分值', '理由', '证据说明']);
    for (const r of rows) ws.addRow(r);
    return Buffer.from(await wb.xlsx.writeBuffer());
  };
  const rows = (): string[][] =>
    Array.from({ length: ENTRY_UPLOAD_MAX_ROWS }, (_, k) => {
      const p = people[k % people.length];
      return [p.card, p.name, items[Math.floor(k / people.length) % items.length], today, '', '', '', `签到表第 ${k} 行`];
    });
  const post = (path: string, file: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), 'month.xlsx');
    return fetch(`${api.url}/api/v1/villages/${f.villageA}/entries/${path}`, { method: 'POST', headers: { authorization: clerk }, body: form });
  };

  beforeAll(async () => {
    db = await createTestDatabase(base());
    const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
    f = await seedTown(ds, 1);
    const [hh] = await ds.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, 'MEM') RETURNING id`, [f.townId, f.villageA]);
    people = await ds.query(
      `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
       SELECT $1, $2, $3, '村民' || g, 'M', 1970, 'MEM' || lpad(g::text, 6, '0'), md5('mem' || g), '0000' FROM generate_series(1, 2000) AS g
       RETURNING card_code AS card, name`,
      [f.townId, f.villageA, hh.id],
    );
    await ds.destroy();
    api = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: `u${db.name}`, LOG_LEVEL: 'warn', NODE_OPTIONS: apiNodeOptions(), GLIBC_TUNABLES: apiGlibcTunables() }, 60_000);
    clerk = await bearer(api.url, f.users.village_clerk.username);
  }, 180_000);
  afterAll(async () => {
    await stopSpawned(api);
    if (db) await dropTestDatabase(base(), db.name);
  });

  it('logins leave no password-hashing memory resident (argon2 19 MiB a check; the malloc setting of scripts/api-node-options.sh)', { timeout: 120_000 }, async () => {
    // Without the setting, glibc serves every check after the first from a pool thread's malloc
    // arena and keeps it: ≥ 19 MB more after these logins (up to 19 MB for each of four threads).
    const before = rssMb(api.child.pid as number);
    for (let i = 0; i < 8; i++) await bearer(api.url, f.users.village_clerk.username);
    const grown = rssMb(api.child.pid as number) - before;
    if (process.env.UPLOAD_MEMORY_REPORT) console.log(`api RSS ${before.toFixed(1)} MB before 8 logins, ${grown.toFixed(1)} MB more after`);
    expect(grown).toBeLessThan(12);
  });

  it('one bad row in 20,000: 400 with that row, and the annotated 20,000-row error report', { timeout: 300_000 }, async () => {
    const bad = rows();
    bad[12_345] = ['NOSUCHCARD', '无名', 'T10', today, '', '', '', ''];
    const file = await workbook(bad);
    const res = await post('upload', file);
    const body = (await res.json()) as { code: string; details: Array<{ row: number; code: string }> };
    expect([res.status, body.code]).toEqual([400, 'ENTRY.UPLOAD_INVALID']);
    expect(body.details.filter((d) => d.code !== 'UPLOAD.LIKELY_DUPLICATE')).toEqual([expect.objectContaining({ row: 12_347, code: 'ENTRY.RESIDENT_NOT_FOUND' })]);
    const report = await post('upload/error-report', file);
    expect([report.status, report.headers.get('x-upload-errors')]).toEqual([200, '1']);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await report.arrayBuffer()) as unknown as Parameters<typeof wb.xlsx.load>[0]);
    expect(wb.worksheets[0].rowCount).toBe(ENTRY_UPLOAD_MAX_ROWS + 1);
  });

  it('stores all 20,000 rows, the api within 250 MB of resident memory', { timeout: 300_000 }, async () => {
    const res = await post('upload', await workbook(rows()));
    expect(res.status).toBe(201);
    expect(((await res.json()) as { created: number }).created).toBe(ENTRY_UPLOAD_MAX_ROWS);
    expect(api.child.exitCode).toBeNull();
    const peak = peakRssMb(api.child.pid as number);
    if (process.env.UPLOAD_MEMORY_REPORT) console.log(`api peak RSS ${peak.toFixed(1)} MB`);
    expect(peak).toBeLessThanOrEqual(250);
  });

  it('three clerks sending the largest file at once: each is answered in turn, the api stays up within 250 MB', { timeout: 300_000 }, async () => {
    const bad = rows();
    bad[7] = ['NOSUCHCARD', '无名', 'T10', today, '', '', '', ''];
    const file = await workbook(bad);
    const answers = await Promise.all([0, 1, 2].map(() => post('upload/error-report', file).then(async (r) => [r.status, r.headers.get('x-upload-errors'), (await r.arrayBuffer()).byteLength > 0])));
    expect(answers).toEqual(Array(3).fill([200, '1', true]));
    expect(api.child.exitCode).toBeNull();
    expect(peakRssMb(api.child.pid as number)).toBeLessThanOrEqual(250);
  });
});

import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '@app/common/time';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

const HEADER = '卡号,姓名,事项编码,发生日期,数量,分值,理由,证据说明';

describe('deed entries: bulk upload (CSV / .xlsx)', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let people: Array<{ id: string; cardCode: string; name: string }>;
  let outsider: { cardCode: string; name: string };
  const today = shanghaiDate(new Date());
  const upload = (buf: Buffer, name: string, who: FixtureUser = 'village_clerk', village?: string) =>
    request(stack.http)
      .post(`/api/v1/villages/${village ?? f.villageA}/entries/upload`)
      .set('authorization', t[who])
      .attach('file', buf, name);
  const count = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM deed_entries`))[0].n as number;
  const binary = (r: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    const stream = r as unknown as NodeJS.ReadableStream;
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => cb(null, Buffer.concat(chunks)));
  };
  const csv = (lines: string[]) => Buffer.from([HEADER, ...lines].join('\r\n') + '\r\n', 'utf8');

  beforeAll(async () => {
    stack = await startStack({ env: { UPLOAD_MAX_BYTES: '300000' } });
    f = await seedTown(stack.db, 10);
    t = await bearers(stack.http, f);
    people = await stack.db.query(`SELECT id, card_code AS "cardCode", name FROM residents WHERE village_id = $1 ORDER BY card_code`, [f.villageA]);
    [outsider] = await stack.db.query(`SELECT card_code AS "cardCode", name FROM residents WHERE village_id = $1 LIMIT 1`, [f.villageB]);
  });
  afterAll(async () => stack?.close());

  it('imports a valid CSV in one batch, scoring each row by its rule', async () => {
    const [a, b, c] = people;
    const file = csv([
      `${a.cardCode},${a.name},T01,${today},12,,,签到表`,
      `${a.cardCode},${a.name},T01,${today},10,,,签到表`,
      `${b.cardCode},${b.name},B02,${today},,,,照片`,
      `${c.cardCode},${c.name},T57,${today},,6,救火,"村委证明,2 人"`,
    ]);
    const res = await upload(file, 'november.csv').expect(201);
    // Two T01 rows of one resident on one day: stored, and the second flagged for the meeting.
    expect(res.body).toMatchObject({ created: 4, flaggedDuplicates: 1, period: expect.stringMatching(/^\d{4}-\d{2}$/) });
    const rows = await stack.db.query(`SELECT resident_id, item_code, points, evidence_note FROM deed_entries WHERE batch_id = $1 ORDER BY item_code, points`, [res.body.batchId]);
    expect(rows.map((r: { item_code: string; points: number }) => [r.item_code, r.points])).toEqual([
      ['B02', -5],
      ['T01', 2],
      ['T01', 3],
      ['T57', 6],
    ]);
    expect(rows.find((r: { item_code: string }) => r.item_code === 'T57').evidence_note).toBe('村委证明,2 人');

    const again = await upload(file, 'november-copy.csv').expect(409);
    expect(again.body.code).toBe('ENTRY.DUPLICATE_BATCH');
  });

  it('refuses a file with bad rows, lists every problem of every row in one pass, and stores nothing', async () => {
    const [a, b] = people;
    const before = await count();
    const file = csv([
      `${a.cardCode},${a.name},B02,${today},,,,ok row`,
      `ZZZZZZ99,某人,B02,${today},,,,unknown card`,
      `${b.cardCode},不是他,B02,${today},,,,wrong name`,
      `${a.cardCode},${a.name},T99,${today},,,,unknown item`,
      `${a.cardCode},${a.name},B02,2026-02-30,,,,impossible date`,
      `${a.cardCode},${a.name},T01,${today},,,,band without quantity`,
      `${a.cardCode},${a.name},B02,${today},,9,,points on a fixed item`,
      `${outsider.cardCode},${outsider.name},B02,${today},,,,other village`,
      `${a.cardCode},${a.name},B02,${today},abc,,,not a number`,
      `${b.cardCode},错名,T01,${today},,5,,three problems in one row`,
    ]);
    const res = await upload(file, 'bad.csv').expect(400);
    expect(res.body.code).toBe('ENTRY.UPLOAD_INVALID');
    expect(res.body.message).toContain('表头在第 1 行');
    // Cell errors and the checks that need the database come back together, every one of them.
    const got = (res.body.details as Array<{ row: number; column: string; code: string; severity?: string }>).map((d) => [d.row, d.column, d.code, d.severity ?? 'error']);
    expect(got).toEqual([
      [3, '卡号', 'ENTRY.RESIDENT_NOT_FOUND', 'error'],
      [4, '姓名', 'UPLOAD.NAME_MISMATCH', 'error'],
      [5, '事项编码', 'UPLOAD.UNKNOWN_ITEM', 'error'],
      [6, '发生日期', 'UPLOAD.INVALID_DATE', 'error'],
      [7, '数量', 'ENTRY.QUANTITY_REQUIRED', 'error'],
      [8, '分值', 'ENTRY.POINTS_NOT_ALLOWED', 'error'],
      [8, '卡号', 'UPLOAD.LIKELY_DUPLICATE', 'warning'],
      [9, '卡号', 'AUTH.OUT_OF_SCOPE', 'error'],
      [10, '数量', 'UPLOAD.INVALID_NUMBER', 'error'],
      [10, '卡号', 'UPLOAD.LIKELY_DUPLICATE', 'warning'],
      [11, '姓名', 'UPLOAD.NAME_MISMATCH', 'error'],
      [11, '分值', 'ENTRY.POINTS_NOT_ALLOWED', 'error'],
      [11, '数量', 'ENTRY.QUANTITY_REQUIRED', 'error'],
    ]);
    expect(res.body.details[0].message).toBe('第 3 行“卡号”：没有卡号为 ZZZZZZ99 的村民 / no resident has this card');
    expect(await count()).toBe(before);
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM entry_batches WHERE filename LIKE 'bad%'`);
    expect(n).toBe(0);
  });

  it('reads a committee’s own sheet: title rows, 序号, item names, text dates, full-width digits, trailing spaces', async () => {
    const [, , , , , g, h] = people;
    const [y, mo, d] = today.split('-').map(Number) as [number, number, number];
    const file = Buffer.from(
      [
        '东村信义积分登记表,,,,,,,,',
        '',
        '填表人：村会计,,,,,,,,',
        `序号,${HEADER}`,
        `1,${g.cardCode} ,${g.name} ,参加志愿服务,${y}年${mo}月${d}日,１２,,,签到表`,
        `2,${h.cardCode},${h.name},T10 适龄青年主动参军入伍,${y}/${mo}/${d},,,,`,
        `3,${h.cardCode},${h.name},b02,${y}.${mo}.${d},,,,`,
      ].join('\r\n'),
      'utf8',
    );
    const res = await upload(file, 'own-sheet.csv').expect(201);
    expect(res.body).toMatchObject({ created: 3, headerRow: 4 });
    const rows = await stack.db.query(`SELECT item_code, occurred_on::text AS d, quantity::float AS q FROM deed_entries WHERE batch_id = $1 ORDER BY item_code`, [res.body.batchId]);
    expect(rows).toEqual([
      { item_code: 'B02', d: today, q: null },
      { item_code: 'T01', d: today, q: 12 },
      { item_code: 'T10', d: today, q: null },
    ]);
  });

  it('suggests the closest codes for an unknown item name', async () => {
    const [a] = people;
    const res = await upload(csv([`${a.cardCode},${a.name},志愿服务,${today},3,,,x`]), 'name.csv').expect(400);
    expect(res.body.details).toEqual([expect.objectContaining({ row: 2, column: '事项编码', code: 'UPLOAD.UNKNOWN_ITEM', message: expect.stringContaining('您是否要填：T01 参加志愿服务') })]);
  });

  it('gives the error report as an .xlsx of the uploaded rows with 错误说明, which uploads once corrected', async () => {
    const [, , , , , , , p8] = people;
    const file = csv([`${p8.cardCode},${p8.name},T01,${today},,,,签到表`, `${p8.cardCode},${p8.name},T10,${today},,,,`]);
    await upload(file, 'report.csv').expect(400);
    const res = await request(stack.http)
      .post(`/api/v1/villages/${f.villageA}/entries/upload/error-report`)
      .set('authorization', t.village_clerk)
      .attach('file', file, 'report.csv')
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.headers['x-upload-errors']).toBe('1');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as never);
    const ws = wb.worksheets[0];
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual([...HEADER.split(','), '错误说明']);
    expect(String(ws.getCell('I2').value)).toContain('该事项需要填写数量');
    expect(ws.getCell('I3').value).toBeNull();
    expect(wb.getWorksheet('错误列表')?.getCell('D2').value).toBe('ENTRY.QUANTITY_REQUIRED');
    // Nothing was stored by the report.
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM deed_entries WHERE resident_id = $1`, [p8.id]))[0].n).toBe(0);

    ws.getCell('E2').value = 6;
    const fixed = await upload(Buffer.from(await wb.xlsx.writeBuffer()), 'report-fixed.xlsx').expect(201);
    expect(fixed.body.created).toBe(2);
  });

  it('imports .xlsx the same way and refuses formulas', async () => {
    const [, , , d] = people;
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('积分');
    ws.addRow(HEADER.split(','));
    ws.addRow([d.cardCode, d.name, 'T06', new Date(`${today}T00:00:00Z`), 250, null, null, '捐款收据']);
    const ok = await upload(Buffer.from(await wb.xlsx.writeBuffer()), 'donations.xlsx').expect(201);
    expect(ok.body.created).toBe(1);
    const [row] = await stack.db.query(`SELECT points FROM deed_entries WHERE batch_id = $1`, [ok.body.batchId]);
    expect(row.points).toBe(2);

    const wb2 = new ExcelJS.Workbook();
    const ws2 = wb2.addWorksheet('积分');
    ws2.addRow(HEADER.split(','));
    ws2.addRow([d.cardCode, d.name, 'T06', { formula: 'TODAY()', result: new Date() }, 100, null, null, 'x']);
    const bad = await upload(Buffer.from(await wb2.xlsx.writeBuffer()), 'formula.xlsx').expect(400);
    expect(bad.body.details[0]).toMatchObject({ row: 2, column: '发生日期', code: 'UPLOAD.FORMULA_NOT_ALLOWED' });
  });

  it('flags duplicate rows (same resident, item, day) inside one file', async () => {
    const [, , , , e] = people;
    const res = await upload(csv([`${e.cardCode},${e.name},T10,${today},,,,a`, `${e.cardCode},${e.name},T10,${today},,,,b`]), 'dups.csv').expect(201);
    expect(res.body).toMatchObject({ created: 2, flaggedDuplicates: 1 });
  });

  it('answers wrong columns, no file, wrong type, oversize and wrong scope with stable codes', async () => {
    const before = await count();
    const missing = await upload(Buffer.from('卡号,姓名\r\nX,Y\r\n'), 'cols.csv').expect(400);
    expect(missing.body.details.map((d: { code: string }) => d.code)).toContain('UPLOAD.MISSING_COLUMN');
    const none = await request(stack.http).post(`/api/v1/villages/${f.villageA}/entries/upload`).set('authorization', t.village_clerk).expect(400);
    expect(none.body.code).toBe('ENTRY.UPLOAD_INVALID');
    const xls = await upload(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]), 'old.xls').expect(400);
    expect(xls.body.details[0].code).toBe('UPLOAD.UNSUPPORTED_FORMAT');
    const big = await upload(Buffer.alloc(400_000, 0x41), 'big.csv').expect(413);
    expect(big.body.code).toBe('REQUEST.TOO_LARGE');
    const other = await upload(csv([]), 'x.csv', 'clerk_b').expect(403);
    expect(other.body.code).toBe('AUTH.OUT_OF_SCOPE');
    const reviewer = await upload(csv([]), 'x.csv', 'village_reviewer').expect(403);
    expect(reviewer.body.code).toBe('AUTH.FORBIDDEN');
    expect(await count()).toBe(before);
  });

  it('declares the error report and templates as binary and the upload result as a DTO in OpenAPI', async () => {
    const doc = (await request(stack.http).get('/docs-json').expect(200)).body;
    const xlsx = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    const report = doc.paths['/api/v1/villages/{villageId}/entries/upload/error-report'].post;
    expect(report.responses['200'].content[xlsx].schema).toEqual({ type: 'string', format: 'binary' });
    expect(doc.paths['/api/v1/entries/template'].get.responses['200'].content[xlsx].schema).toEqual({ type: 'string', format: 'binary' });
    expect(doc.paths['/api/v1/roster/template'].get.responses['200'].content[xlsx].schema).toEqual({ type: 'string', format: 'binary' });
    const upload = doc.paths['/api/v1/villages/{villageId}/entries/upload'].post;
    expect(upload.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UploadResultDto' });
    expect(Object.keys(doc.components.schemas.UploadResultDto.properties)).toContain('headerRow');
    expect(Object.keys(doc.components.schemas.StatementLineDto.properties)).toEqual(expect.arrayContaining(['occurredOn', 'ruleText', 'explanation', 'decision', 'receiptNo', 'pointsLabel']));
  });

  it('serves a template with Chinese headers that parses back as a valid file shape', async () => {
    const res = await request(stack.http).get('/api/v1/entries/template').query({ format: 'csv' }).set('authorization', t.village_clerk).buffer(true).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.text.replace(/^\uFEFF/, '').split(/\r?\n/)[0]).toBe(HEADER);
    const x = await request(stack.http).get('/api/v1/entries/template').set('authorization', t.village_clerk).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as never);
    expect((wb.worksheets[0].getRow(1).values as string[]).slice(1)).toEqual(HEADER.split(','));
  });
});

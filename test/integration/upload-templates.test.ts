import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '@app/config/app-config';
import { DEMO_PASSWORD, demoResidents, seedDemo } from '@app/database/demo-seed';
import { TEMPLATE_EXAMPLES } from '@app/entries/entries-upload.service';
import { startStack, type TestStack } from '../support/app';

/** The downloaded templates, as they are, upload cleanly into the demo town (东村). */
describe('upload templates against the demo town', () => {
  let stack: TestStack;
  let clerk: string;
  let dc: string;
  const binary = (r: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    const stream = r as unknown as NodeJS.ReadableStream;
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => cb(null, Buffer.concat(chunks)));
  };
  const download = async (path: string) => (await request(stack.http).get(path).set('authorization', clerk).buffer(true).parse(binary).expect(200)).body as Buffer;
  const load = async (b: Buffer) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(b as never);
    return wb;
  };

  beforeAll(async () => {
    stack = await startStack();
    await seedDemo(stack.db, stack.api.get(AppConfig).get('ID_HASH_SECRET'));
    const login = await request(stack.http).post('/api/v1/auth/login').send({ username: 'clerk.dongcun', password: DEMO_PASSWORD }).expect(200);
    clerk = `Bearer ${login.body.accessToken}`;
    [{ id: dc }] = await stack.db.query(`SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.code = 'HOUYING' AND v.code = 'DC'`);
  });
  afterAll(async () => stack?.close());

  it('names real demo residents in the entry examples', () => {
    const people = new Map(demoResidents('DC', 0).map((p) => [p.cardCode, p.name]));
    for (const e of TEMPLATE_EXAMPLES) expect(people.get(e.cardCode)).toBe(e.name);
  });

  it('entries template: 说明 and 事项目录 sheets, a dropdown, date cells, and examples that upload as they are', async () => {
    const xlsx = await download('/api/v1/entries/template');
    const wb = await load(xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['积分记录', '说明', '事项目录']);
    const catalogue = wb.getWorksheet('事项目录');
    expect((catalogue?.getRow(1).values as unknown[]).slice(1)).toEqual(['事项编码', '事项名称', '类别', '加/扣', '计分规则', '需填写', '下拉选项']);
    expect(catalogue?.rowCount).toBe(1 + 153);
    const t01 = (catalogue?.getRow(2).values as unknown[]).slice(1);
    expect(t01).toEqual(['T01', '参加志愿服务', '志愿服务', '守信加分', expect.stringContaining('年内累计：10 小时 +2'), '数量（小时）', 'T01 参加志愿服务']);
    const data = wb.worksheets[0];
    expect(data?.getCell('C2').dataValidation).toMatchObject({ type: 'list', formulae: ["'事项目录'!$G$2:$G$154"] });
    expect(data?.getCell('D2').value).toBeInstanceOf(Date);
    expect(data?.getColumn(4).numFmt).toBe('yyyy-mm-dd');

    const res = await request(stack.http).post(`/api/v1/villages/${dc}/entries/upload`).set('authorization', clerk).attach('file', xlsx, 'entries-template.xlsx').expect(201);
    expect(res.body).toMatchObject({ created: TEMPLATE_EXAMPLES.length, headerRow: 1 });
    const stored = await stack.db.query(`SELECT item_code, points FROM deed_entries WHERE batch_id = $1 ORDER BY item_code`, [res.body.batchId]);
    // B01 the first time is a 0-point warning; T57 is the committee's 5 with a reason.
    expect(stored).toEqual([
      { item_code: 'B01', points: 0 },
      { item_code: 'T01', points: 0 },
      { item_code: 'T57', points: 5 },
    ]);

    const csv = await download('/api/v1/entries/template?format=csv');
    const other = await request(stack.http).post(`/api/v1/villages/${dc}/entries/upload`).set('authorization', clerk).attach('file', csv, 'entries-template.csv').expect(201);
    expect(other.body.created).toBe(TEMPLATE_EXAMPLES.length);
  });

  it('roster template: 说明 sheet, a 性别 dropdown, and an example whose ID agrees with its 性别 and imports', async () => {
    const xlsx = await download('/api/v1/roster/template');
    const wb = await load(xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['村民名册', '说明']);
    expect(wb.worksheets[0]?.getCell('C2').dataValidation).toMatchObject({ type: 'list', formulae: ['"男,女"'] });
    const res = await request(stack.http).post(`/api/v1/villages/${dc}/roster`).set('authorization', clerk).attach('file', xlsx, 'roster-template.xlsx').expect(201);
    expect(res.body).toMatchObject({ created: 1, unchanged: 0 });
  });
});

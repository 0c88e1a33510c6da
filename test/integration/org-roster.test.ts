import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_CODE_PATTERN } from '@app/common/http/field-decorators';
import { nationalIdCheckChar } from '@app/org/national-id';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

const UPLOAD_MAX_BYTES = 20_000;
const HEADER = ['户号', '姓名', '性别', '出生年份', '身份证号', '手机号', '卡号'];

let seq = 0;
function newId(year = 1975, male = true): string {
  const n = ++seq;
  const first17 = `371502${year}0612${String(n * 2 + (male ? 1 : 0)).padStart(3, '0')}`;
  return first17 + nationalIdCheckChar(first17);
}

const csv = (rows: Array<Array<string | number>>) => Buffer.from([HEADER, ...rows].map((r) => r.join(',')).join('\r\n'), 'utf8');

describe('roster import', () => {
  let stack: TestStack;
  let f: TownFixture;
  let as: Record<FixtureUser, string>;
  const url = () => `/api/v1/villages/${f.villageA}/roster`;
  const count = async (table: string) => (await stack.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;
  const snapshot = async () => ({ residents: await count('residents'), households: await count('households'), events: await count('resident_status_events'), audit: await count('audit_log') });
  const upload = (who: FixtureUser, body: Buffer, name = 'roster.csv', target = url()) => request(stack.http).post(target).set('authorization', as[who]).attach('file', body, name);

  beforeAll(async () => {
    stack = await startStack({ env: { UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES) } });
    f = await seedTown(stack.db, 1);
    as = await bearers(stack.http, f);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('any staff downloads the template with Chinese headers, as CSV or xlsx', async () => {
    const c = await request(stack.http).get('/api/v1/roster/template?format=csv').set('authorization', as.shop_clerk).buffer(true).expect(200);
    expect(c.headers['content-type']).toMatch(/^text\/csv/);
    expect(c.text.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe([...HEADER, '同意短信'].join(','));
    const x = await request(stack.http)
      .get('/api/v1/roster/template')
      .set('authorization', as.village_clerk)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as Parameters<typeof wb.xlsx.load>[0]);
    expect((wb.worksheets[0]?.getRow(1).values as unknown[]).slice(1)).toEqual([...HEADER, '同意短信']);
    const bad = await request(stack.http).get('/api/v1/roster/template?format=pdf').set('authorization', as.auditor).expect(400);
    expect(bad.body.code).toBe('VALIDATION.FAILED');
  });

  let firstRoster: Buffer;
  it('imports a roster in one go, creating households; re-uploading it changes nothing', async () => {
    firstRoster = csv([
      ['R-01', '张三', '男', 1975, newId(1975, true), '13800138000', ''],
      ['R-01', '李四', '女', 1976, newId(1976, false).toLowerCase(), '', 'RA000001'],
      ['R-02', '王五', '男', 1980, newId(1980, true), '', ''],
      ['R-02', '买买提·艾力', '男', 1990, newId(1990, true), '', ''],
    ]);
    const before = await snapshot();
    const res = await upload('village_clerk', firstRoster).expect(201);
    expect(res.body).toMatchObject({ created: 4, unchanged: 0, householdsCreated: 2, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const after = await snapshot();
    expect(after).toEqual({ residents: before.residents + 4, households: before.households + 2, events: before.events + 4, audit: before.audit + 1 });
    const rows = await stack.db.query(`SELECT name, card_code, gender, phone FROM residents WHERE village_id = $1 AND name IN ('张三', '李四') ORDER BY name`, [f.villageA]);
    expect(rows.find((r: { name: string }) => r.name === '李四').card_code).toBe('RA000001');
    expect(rows.find((r: { name: string }) => r.name === '张三').card_code).toMatch(CARD_CODE_PATTERN);

    const again = await upload('town_admin', firstRoster).expect(201);
    expect(again.body).toMatchObject({ created: 0, unchanged: 4, householdsCreated: 0 });
    expect(await snapshot()).toEqual(after);
  });

  it('takes the optional 同意短信 column (是/否; empty or absent = no consent)', async () => {
    const ids = [newId(1971, true), newId(1972, false), newId(1973, true)];
    const body = Buffer.from(
      [[...HEADER, '同意短信'].join(','), `S-01,孙一,男,1971,${ids[0]},13800138001,,是`, `S-01,孙二,女,1972,${ids[1]},13800138002,,否`, `S-01,孙三,男,1973,${ids[2]},,,`].join('\r\n'),
      'utf8',
    );
    await upload('village_clerk', body).expect(201);
    const rows = await stack.db.query(`SELECT name, sms_consent FROM residents WHERE village_id = $1 AND name LIKE '孙%' ORDER BY name`, [f.villageA]);
    expect(rows).toEqual([
      { name: '孙一', sms_consent: true },
      { name: '孙三', sms_consent: false },
      { name: '孙二', sms_consent: false },
    ]);
    const bad = Buffer.from([[...HEADER, '同意短信'].join(','), `S-02,孙四,男,1974,${newId(1974, true)},,,也许`].join('\r\n'), 'utf8');
    const refused = await upload('village_clerk', bad).expect(400);
    expect(refused.body.details.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code])).toEqual([[2, '同意短信', 'UPLOAD.INVALID_VALUE']]);
  });

  it('adds only the new people when the roster grows', async () => {
    const grown = Buffer.concat([firstRoster, Buffer.from(`\r\nR-03,赵六,女,1960,${newId(1960, false)},,`)]);
    const res = await upload('village_clerk', grown).expect(201);
    expect(res.body).toMatchObject({ created: 1, unchanged: 4, householdsCreated: 1 });
  });

  it('reads .xlsx too', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名册');
    ws.addRow(HEADER);
    ws.addRow(['X-01', '孙七', '女', 1985, newId(1985, false), null, null]);
    const res = await upload('village_clerk', Buffer.from(await wb.xlsx.writeBuffer()), 'roster.xlsx').expect(201);
    expect(res.body).toMatchObject({ created: 1, unchanged: 0 });
  });

  it('several bad rows: 400 ROSTER.INVALID listing every one, and nothing stored', async () => {
    const good = newId();
    const wrongCheck = ((id) => id.slice(0, 17) + (id[17] === '1' ? '2' : '1'))(newId());
    const before = await snapshot();
    const res = await upload(
      'village_clerk',
      csv([
        ['B-01', '好人', '男', 1975, good, '', ''],
        ['B-01', '坏校验', '男', 1975, wrongCheck, '', ''],
        ['B-02', '', '女', 1975, newId(1975, false), '', ''],
        ['B-02', '性别错', '未知', 1975, newId(), '', ''],
        ['B-03', '旧号码', '男', 1975, '371502750612001', '', ''],
        ['B-03', '手机错', '男', 1975, newId(), '12345', ''],
      ]),
    ).expect(400);
    expect(res.body.code).toBe('ROSTER.INVALID');
    expect(res.body.details.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code])).toEqual([
      [3, '身份证号', 'ID.CHECKSUM'],
      [4, '姓名', 'UPLOAD.REQUIRED'],
      [5, '性别', 'UPLOAD.INVALID_VALUE'],
      [6, '身份证号', 'ID.LEGACY_15_DIGIT'],
      [7, '手机号', 'UPLOAD.INVALID_FORMAT'],
    ]);
    expect(res.body.details[0].message).toContain('第 3 行');
    expect(JSON.stringify(res.body)).not.toContain(good);
    expect(await snapshot()).toEqual(before);
  });

  it('cross-row problems: duplicates in the file, ID not matching gender/birth year', async () => {
    const dup = newId();
    const before = await snapshot();
    const res = await upload(
      'village_clerk',
      csv([
        ['C-01', '甲', '男', 1975, dup, '', 'RC000001'],
        ['C-01', '乙', '男', 1975, dup, '', 'RC000001'],
        ['C-02', '丙', '女', 1975, newId(1975, true), '', ''],
        ['C-02', '丁', '男', 1999, newId(1975, true), '', ''],
      ]),
    ).expect(400);
    expect(res.body.details.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([
      [3, 'ROSTER.DUPLICATE_ID'],
      [3, 'ROSTER.DUPLICATE_CARD_CODE'],
      [4, 'ROSTER.ID_MISMATCH'],
      [5, 'ROSTER.ID_MISMATCH'],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('one pass below a title row: cell errors and ID mismatches together, and the header row is named', async () => {
    const before = await snapshot();
    const rows = [
      ['D-01', '甲', '女', 1975, newId(1975, true), '12345', ''],
      ['D-01', '乙', '男', 'abc', newId(), '', ''],
    ];
    const body = Buffer.from(['东村村民名册（2026年）,,,,,,', '', HEADER.join(','), ...rows.map((r) => r.join(','))].join('\r\n'), 'utf8');
    const res = await upload('village_clerk', body).expect(400);
    expect(res.body.message).toContain('表头在第 3 行');
    expect(res.body.details.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code])).toEqual([
      [4, '手机号', 'UPLOAD.INVALID_FORMAT'],
      [4, '性别', 'ROSTER.ID_MISMATCH'],
      [5, '出生年份', 'UPLOAD.INVALID_NUMBER'],
    ]);
    expect(await snapshot()).toEqual(before);

    const fixed = Buffer.from(['东村村民名册（2026年）,,,,,,', '', `序号,${HEADER.join(',')}`, `1,D-01,甲,男,1975,${newId()},,`].join('\r\n'), 'utf8');
    const ok = await upload('village_clerk', fixed).expect(201);
    expect(ok.body).toMatchObject({ created: 1, headerRow: 3 });
  });

  it('a person registered in another village, or a card code in use, refuses the whole file', async () => {
    const elsewhere = newId(1966, true);
    const [hh] = await stack.db.query(`SELECT id FROM households WHERE village_id = $1 LIMIT 1`, [f.villageB]);
    await request(stack.http)
      .post(`/api/v1/villages/${f.villageB}/residents`)
      .set('authorization', as.town_admin)
      .send({ householdId: hh.id, name: '外村人', nationalId: elsewhere, cardCode: 'RB000001' })
      .expect(201);
    const before = await snapshot();
    const res = await upload(
      'village_clerk',
      csv([
        ['D-01', '新人', '女', 1975, newId(1975, false), '', ''],
        ['D-01', '外村人', '男', 1966, elsewhere, '', ''],
        ['D-02', '撞卡', '男', 1975, newId(), '', 'RB000001'],
      ]),
    ).expect(400);
    expect(res.body.details.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([
      [3, 'ROSTER.ID_IN_OTHER_VILLAGE'],
      [4, 'ROSTER.DUPLICATE_CARD_CODE'],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('oversized upload is 413, a non-spreadsheet 415, a missing file 400', async () => {
    const before = await snapshot();
    const rows = Array.from({ length: 400 }, (_, i) => [`Z-${i}`, '很长的名字很长的名字', '男', 1975, newId(), '13800138000', '']);
    const big = csv(rows);
    expect(big.length).toBeGreaterThan(UPLOAD_MAX_BYTES);
    expect((await upload('village_clerk', big).expect(413)).body.code).toBe('REQUEST.TOO_LARGE');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const wrongType = await upload('village_clerk', png, 'photo.png').expect(415);
    expect(wrongType.body.code).toBe('ROSTER.UNSUPPORTED_FORMAT');
    expect(wrongType.body.details[0].code).toBe('UPLOAD.UNSUPPORTED_FORMAT');
    const noFile = await request(stack.http).post(url()).set('authorization', as.village_clerk).send({ file: 'x' }).expect(400);
    expect(noFile.body.code).toBe('ROSTER.FILE_MISSING');
    expect(await snapshot()).toEqual(before);
  });

  it('wrong role is 403 FORBIDDEN; another village or town is 403 OUT_OF_SCOPE', async () => {
    const body = csv([['E-01', '某人', '男', 1975, newId(), '', '']]);
    expect((await upload('village_reviewer', body).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await upload('auditor', body).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await upload('clerk_b', body).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await upload('other_town_admin', body).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect(await count(`residents WHERE name = '某人'`)).toBe(0);
  });
});

import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_HEADER } from '@app/auth/refresh-cookie';
import { periodOf, shanghaiDate } from '@app/common/time';
import { nationalIdCheckChar } from '@app/org/national-id';
import { FinalizeService } from '@app/review/finalize.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, FIXTURE_PASSWORD, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
const DOC_FILE = join(process.cwd(), 'web/src/api/openapi.json');

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: the schema or null. (Ajv's own `nullable` only
 * widens `type`, so a nullable `allOf: [$ref]` or enum would refuse null.)
 */
function nullableAsAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableAsAnyOf);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, nullableAsAnyOf(v)]));
  return nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

/**
 * The committed document tells the truth: every answer of a walk through the API (successes and
 * errors) has a status the operation documents and a JSON body that matches its schema.
 */
describe('the committed OpenAPI document matches what the api answers', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const doc = JSON.parse(readFileSync(DOC_FILE, 'utf8')) as Doc;
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(nullableAsAnyOf(doc) as object, 'doc');
  const validators = new Map<string, ValidateFunction>();
  const templates = Object.keys(doc.paths).map((p) => ({ p, re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`) }));
  const checked = new Set<string>();
  const period = periodOf(new Date());
  const today = shanghaiDate(new Date());
  const as = (who: FixtureUser) => ({ authorization: t[who] });

  /** Finds the operation, checks the status is documented and the body fits its schema. */
  function conforms(res: request.Response, method: string, url: string): request.Response {
    const path = url.split('?')[0];
    // The most specific template: '/a/{x}.html' before '/a/{x}'.
    const matches = templates.filter((x) => x.re.test(path)).sort((a, b) => b.p.replace(/\{[^}]+\}/g, '').length - a.p.replace(/\{[^}]+\}/g, '').length);
    expect(matches.length, `no documented path for ${path}`).toBeGreaterThan(0);
    const template = matches[0].p;
    const op = doc.paths[template][method];
    expect(op, `${method} ${template} is not documented`).toBeDefined();
    const response = op.responses[String(res.status)];
    expect(response, `${method.toUpperCase()} ${template} answered ${res.status} (${JSON.stringify(res.body).slice(0, 200)}), which it does not document`).toBeDefined();
    const type = String(res.headers['content-type'] ?? '').split(';')[0];
    if (res.status !== 204) expect(Object.keys(response.content ?? {}), `${method} ${template} ${res.status} content type`).toContain(type);
    if (type === 'application/json') {
      const key = `${method} ${template} ${res.status}`;
      let validate = validators.get(key);
      if (!validate) {
        validate = ajv.compile({ $ref: `doc#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${res.status}/content/application~1json/schema` });
        validators.set(key, validate);
      }
      expect(validate(res.body) ? [] : validate.errors, `${key}: ${JSON.stringify(res.body).slice(0, 300)}`).toEqual([]);
    }
    checked.add(`${method.toUpperCase()} ${template} ${res.status}`);
    return res;
  }
  const get = async (url: string, who?: FixtureUser, headers: Record<string, string> = {}) =>
    conforms(await request(stack.http).get(url).set(who ? { ...as(who), ...headers } : headers), 'get', url);
  const post = async (url: string, who: FixtureUser | undefined, body?: object, headers: Record<string, string> = {}) =>
    conforms(await request(stack.http).post(url).set(who ? { ...as(who), ...headers } : headers).send(body), 'post', url);
  const upload = async (url: string, who: FixtureUser, name: string, text: string) =>
    conforms(await request(stack.http).post(url).set(as(who)).attach('file', Buffer.from(text), name), 'post', url);
  const patch = async (url: string, who: FixtureUser, body: object) => conforms(await request(stack.http).patch(url).set(as(who)).send(body), 'patch', url);
  const put = async (url: string, who: FixtureUser, body: object) => conforms(await request(stack.http).put(url).set(as(who)).send(body), 'put', url);

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  it('serves the committed document at /docs-json', async () => {
    const res = await request(stack.http).get('/docs-json').expect(200);
    expect(res.body).toEqual(doc);
  });

  it('auth, staff, org and catalogue', async () => {
    const v = `/api/v1/villages/${f.villageA}`;
    const login = await post('/api/v1/auth/login', undefined, { username: f.users.auditor.username, password: FIXTURE_PASSWORD });
    await post('/api/v1/auth/refresh', undefined, { refreshToken: login.body.refreshToken });
    await post('/api/v1/auth/refresh', undefined, { refreshToken: login.body.refreshToken });
    await post('/api/v1/auth/login', undefined, { username: f.users.auditor.username, password: 'wrong password' });
    const consoleLogin = await post('/api/v1/auth/login', undefined, { username: f.users.auditor.username, password: FIXTURE_PASSWORD, client: 'console' });
    await post('/api/v1/auth/logout', undefined, {}, { cookie: String(consoleLogin.headers['set-cookie']).split(';')[0], [CONSOLE_HEADER]: '1' });
    await get('/api/v1/auth/me', 'village_clerk');
    await get('/api/v1/auth/me');
    await get('/api/v1/staff', 'town_admin');
    await get('/api/v1/staff', 'village_clerk');
    await post('/api/v1/staff', 'town_admin', { username: 'conformance.clerk', displayName: '测试', password: 'long-enough-pw', role: 'village_clerk', villageId: f.villageA });
    await post('/api/v1/staff', 'town_admin', { username: 'conformance.clerk', displayName: '测试', password: 'long-enough-pw', role: 'village_clerk', villageId: f.villageA });
    const own = await post('/api/v1/auth/login', undefined, { username: 'conformance.clerk', password: 'long-enough-pw' });
    const ownBearer = { authorization: `Bearer ${own.body.accessToken as string}` };
    await post('/api/v1/auth/password', undefined, { currentPassword: 'not-my-password', newPassword: 'another-long-password' }, ownBearer);
    await post('/api/v1/auth/password', undefined, { currentPassword: 'long-enough-pw', newPassword: 'another-long-password' }, ownBearer);
    await post(`/api/v1/staff/${f.users.clerk_b.id}/deactivate`, 'town_admin');
    await post(`/api/v1/staff/${f.users.clerk_b.id}/activate`, 'town_admin');
    await post(`/api/v1/staff/${f.users.clerk_b.id}/password-reset`, 'town_admin');
    await post(`/api/v1/staff/${f.users.town_admin.id}/password-reset`, 'town_admin');
    const terminal = await post(`/api/v1/shops/${f.shopA}/terminals`, 'town_admin', { name: '收银台 1' });
    await get(`/api/v1/shops/${f.shopA}/terminals`, 'town_admin');
    await get('/api/v1/towns/current', 'auditor');
    await patch('/api/v1/towns/current/settings', 'town_admin', { objectionWindowDays: 7 });
    await get('/api/v1/villages', 'village_clerk');
    await post('/api/v1/villages', 'town_admin', { code: 'CONF01', name: '测试村' });
    await patch(`${v}/board-settings`, 'town_admin', { committee: '测试村村民委员会', contactPhone: '0631-8123456' });
    await get(`${v}/households`, 'village_clerk');
    await post(`${v}/households`, 'village_clerk', { code: 'CONF-H1' });
    const residents = await get(`${v}/residents`, 'village_clerk');
    await get(`/api/v1/residents/${residents.body.items[0].id}`, 'village_clerk');
    await get(`/api/v1/residents/${f.residentsOther[0]}`, 'village_clerk');
    await get(`/api/v1/villages/${f.villageOther}/residents`, 'village_clerk');
    await get('/api/v1/roster/template?format=csv', 'village_clerk');
    await get('/api/v1/catalog/versions', 'town_admin');
    await get('/api/v1/catalog/items', 'village_clerk');
    await get('/api/v1/catalog/items/T01', 'village_clerk');
    await get('/api/v1/catalog/items/X99', 'village_clerk');
    await get(`${v}/items`, 'village_clerk');
    await post(`/api/v1/terminals/${terminal.body.id}/revoke`, 'town_admin');
    await post('/api/v1/catalog/adoptions', 'town_admin', { versionCode: 'nope', effectiveFrom: '2001-01-01' });
    const villageItem = await post(`${v}/items`, 'village_reviewer', { code: 'V01', category: '人居环境', name: '村事项', description: '本村自设', sign: 1, rule: { type: 'fixed', points: 2 } });
    await post(`${v}/items/${villageItem.body.id}/retire`, 'town_admin', { reason: '不再适用' });
    await post(`${v}/items/${villageItem.body.id}/retire`, 'town_admin', { reason: '不再适用' });
    const household = (await stack.db.query(`SELECT id FROM households WHERE village_id = $1 LIMIT 1`, [f.villageA]))[0].id as string;
    await get(`/api/v1/households/${household}`, 'village_clerk');
    await get(`/api/v1/households/${household}`, 'clerk_b');
    const id17 = '11010119900307123';
    const created = await post(`${v}/residents`, 'village_clerk', { householdId: household, name: '新村民', nationalId: id17 + nationalIdCheckChar(id17) });
    await post(`${v}/residents`, 'village_clerk', { householdId: household, name: '新村民', nationalId: id17 + nationalIdCheckChar(id17) });
    await post(`/api/v1/residents/${created.body.id}/status`, 'village_reviewer', { to: 'moved', effectiveOn: today, reason: '外出务工' });
    await post(`/api/v1/residents/${created.body.id}/status`, 'village_reviewer', { to: 'moved', effectiveOn: today, reason: '外出务工' });
    await upload(`${v}/roster`, 'village_clerk', 'roster.txt', 'not a roster');
    await upload(`${v}/roster/preview`, 'village_clerk', 'roster.csv', `户号,姓名,性别,出生年份,身份证号,手机号,卡号\r\nCONF-H2,预览,男,1990,${id17 + nationalIdCheckChar(id17)},,\r\nCONF-H2,坏行,男,1990,123,,`);
    await get('/health');
    await get('/health/live');
    await get('/health/ready');
  });

  it('entries, the review cycle, the board and objections', async () => {
    const v = `/api/v1/villages/${f.villageA}`;
    const [r0, r1, r2] = f.residentsA;
    const volunteer = await post(`${v}/entries`, 'village_clerk', { residentId: r0, itemCode: 'T01', occurredOn: today, quantity: 4 });
    await post(`${v}/entries`, 'village_clerk', { residentId: r1, itemCode: 'B01', occurredOn: today, idempotencyKey: 'conf-1' });
    await post(`${v}/entries`, 'village_clerk', { residentId: r1, itemCode: 'B01', occurredOn: today, idempotencyKey: 'conf-1' });
    const brave = await post(`${v}/entries`, 'village_clerk', { residentId: r2, itemCode: 'T57', occurredOn: today, points: 10, reason: '扑救火情' });
    const withdrawn = await post(`${v}/entries`, 'village_clerk', { residentId: r2, itemCode: 'T10', occurredOn: today });
    await post(`${v}/entries`, 'village_clerk', { residentId: r0, itemCode: 'T57', occurredOn: today });
    await post(`${v}/entries`, 'village_clerk', { residentId: r0, itemCode: 'T01', occurredOn: 'soon' });
    await post(`${v}/entries`, 'auditor', { residentId: r0, itemCode: 'T01', occurredOn: today, quantity: 1 });
    await post(`/api/v1/entries/${withdrawn.body.id}/withdraw`, 'village_clerk', { reason: '录错了' });
    await post(`/api/v1/entries/${withdrawn.body.id}/withdraw`, 'village_clerk', { reason: '录错了' });
    await get(`${v}/entries`, 'village_reviewer');
    await get(`/api/v1/entries/${volunteer.body.id}`, 'village_reviewer');
    await get('/api/v1/entries/00000000-0000-4000-8000-000000000000', 'village_reviewer');
    await get('/api/v1/entries/template?format=xlsx', 'village_clerk');
    await upload(`${v}/entries/upload`, 'village_clerk', 'entries.csv', '\ufeff村民,事项编码\n某人,T01\n');
    await post(`${v}/entries/preview`, 'village_clerk', { residentId: r1, itemCode: 'T01', occurredOn: today, quantity: 2 });
    await post(`${v}/entries/preview`, 'village_clerk', { residentId: r1, itemCode: 'T57', occurredOn: today });
    const badSheet = ['卡号,姓名,事项编码,发生日期,数量,分值,理由,证据说明', `NOSUCHCARD1,某某,T10,${today},,,,`].join('\r\n') + '\r\n';
    await upload(`${v}/entries/upload/error-report`, 'village_clerk', 'entries.csv', badSheet);
    await get(`${v}/cycles`, 'village_reviewer');

    const cyc = `${v}/cycles/${period}`;
    await post(`${cyc}/publish`, 'village_reviewer');
    await post(`${cyc}/close`, 'town_admin');
    await get(cyc, 'village_reviewer');
    await get(`${v}/cycles/2001-01`, 'village_reviewer');
    await post(`${cyc}/reopen`, 'town_admin', { reason: '补录' });
    await post(`${cyc}/close`, 'town_admin');
    await post(`${cyc}/meeting`, 'village_reviewer', { heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条评议' });
    const sheet = await get(cyc, 'village_reviewer');
    const standing = (sheet.body.entries as Array<{ id: string; status: string }>).filter((e) => e.status === 'submitted');
    await post(`${cyc}/decisions`, 'village_reviewer', { decisions: [{ entryId: standing[0].id, decision: 'reject' }] });
    await post(`${cyc}/decisions`, 'village_reviewer', {
      decisions: standing.map((e) => (e.id === brave.body.id ? { entryId: e.id, decision: 'reject', reason: '证据不足' } : { entryId: e.id, decision: 'approve' })),
    });
    await post(`${cyc}/publish`, 'village_reviewer');
    const board = `/api/v1/public/boards/${f.villageA}/${period}`;
    await get(board);
    await get(`${board}.html`);
    await get(`/api/v1/public/boards/${f.villageA}/2001-01`);
    await get(`/api/v1/public/villages/${f.villageA}/boards`);
    const code = (await stack.db.query(`SELECT code FROM villages WHERE id = $1`, [f.villageA]))[0].code as string;
    await get(`/api/v1/public/boards/${code}/${period}`);
    await get(`/api/v1/public/villages/${code}/boards`);
    await get('/api/v1/public/villages/NOSUCHVILLAGE/boards');
    await get('/api/v1/public/villages');
    await get(`/api/v1/towns/current/boards-overview?period=${period}`, 'town_admin');
    await get(`/api/v1/towns/current/dashboard?period=${period}`, 'town_admin');
    await get('/api/v1/towns/current/dashboard?period=2026-13', 'town_admin');
    const objection = await post(`${board}/objections`, undefined, { entryId: volunteer.body.id, name: '张三', contact: '13800000000', reason: '没有参加' });
    await post(`${board}/objections`, undefined, { entryId: brave.body.id, name: '张三', contact: '13800000000', reason: '不在榜上' });
    await get('/api/v1/objections?open=true', 'village_reviewer');
    await post(`/api/v1/objections/${objection.body.id}/answer`, 'village_reviewer', { outcome: 'dismissed', answer: '有签到记录' });
    await post(`/api/v1/objections/${objection.body.id}/answer`, 'village_reviewer', { outcome: 'dismissed', answer: '有签到记录' });

    // Finalize (what the delayed job does at the window's end): the board with its Merkle checkpoint, and proofs.
    await get(`/api/v1/ledger/proofs/${r1}`, 'auditor');
    await stack.db.query(`UPDATE review_cycles SET window_ends_at = now() - interval '1 second' WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    const [cycle] = await stack.db.query(`SELECT id FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    expect(await stack.api.get(FinalizeService).finalize(cycle.id)).toBe('finalized');
    expect((await get(board)).body.checkpoint).toMatchObject({ version: 2 });
    expect((await get(`/api/v1/ledger/proofs/${r0}`, 'auditor')).status).toBe(200);
    await get(`/api/v1/ledger/proofs/${r0}?period=2001-01`, 'village_clerk');
    await get(`/api/v1/ledger/proofs/${r0}?period=2001-1`, 'auditor');
    await get(`/api/v1/ledger/proofs/${f.residentsB[0]}`, 'village_clerk');
  });

  it('shop, terminal, ledger, audit and system', async () => {
    const shop = `/api/v1/shops/${f.shopA}`;
    await get('/api/v1/shops', 'town_admin');
    await post('/api/v1/shops', 'town_admin', { code: 'CONF-S1', name: '测试超市', villageIds: [f.villageA] });
    const goods = await post(`${shop}/goods`, 'shop_clerk', { name: '食用油', unit: '桶', pricePoints: 30 });
    await post(`/api/v1/goods/${goods.body.id}/stock`, 'shop_clerk', { kind: 'received', quantity: 10, reason: '进货' });
    await post(`/api/v1/goods/${goods.body.id}/stock`, 'shop_clerk', { kind: 'written_off', quantity: 100, reason: '报损' });
    await patch(`/api/v1/goods/${goods.body.id}`, 'shop_clerk', { pricePoints: 32, barcode: '6901234567892' });
    await patch('/api/v1/goods/00000000-0000-4000-8000-000000000000', 'shop_clerk', { pricePoints: 1 });
    await post(`/api/v1/goods/${goods.body.id}/stock-count`, 'shop_clerk', { counted: 9, reason: '月末盘点' });
    await post(`/api/v1/goods/${goods.body.id}/stock-count`, 'shop_clerk', { counted: -1, reason: '月末盘点' });
    await get(`${shop}/goods`, 'shop_clerk');
    await get(`${shop}/goods/low-stock?threshold=50`, 'shop_clerk');
    await get(`/api/v1/shops/${f.shopOther}/goods`, 'shop_clerk');
    const terminal = await post(`${shop}/terminals`, 'town_admin', { name: '收银台 2' });
    const key = { 'x-api-key': terminal.body.apiKey as string };
    const card = (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [f.residentsA[0]]))[0].card_code as string;
    await get(`/api/v1/terminal/residents/${card}`, undefined, key);
    await get('/api/v1/terminal/residents/NOSUCH01', undefined, key);
    await get('/api/v1/terminal/goods', undefined, key);
    await get('/api/v1/terminal/goods', undefined, { 'x-api-key': 'nope' });
    await post('/api/v1/terminal/redemptions', undefined, { cardCode: card, lines: [{ goodsId: goods.body.id, quantity: 1 }], idempotencyKey: 'conf-redeem-0' }, key);
    await post('/api/v1/ledger/opening-balances', 'town_admin', { sourceDocument: '纸质台账 2026', lines: [{ residentId: f.residentsA[0], points: 100 }] });
    await post('/api/v1/ledger/opening-balances', 'town_admin', { sourceDocument: '纸质台账 2026', lines: [{ residentId: f.residentsA[0], points: 100 }] });
    const receipt = await post('/api/v1/terminal/redemptions', undefined, { cardCode: card, lines: [{ goodsId: goods.body.id, quantity: 1 }], idempotencyKey: 'conf-redeem-1' }, key);
    await post('/api/v1/terminal/redemptions', undefined, { cardCode: card, lines: [{ goodsId: goods.body.id, quantity: 1 }], idempotencyKey: 'conf-redeem-1' }, key);
    await post(`/api/v1/terminal/redemptions/${receipt.body.receiptNo}/void`, undefined, { reason: '顾客退货' }, key);
    await post(`/api/v1/shop-redemptions/${receipt.body.receiptNo}/void`, 'shop_clerk', { reason: '顾客退货' });
    await get(`/api/v1/terminal/receipts/${receipt.body.receiptNo}`, undefined, key);
    await get('/api/v1/terminal/redemptions/today', undefined, key);
    await get('/api/v1/terminal/me', undefined, key);
    await get('/api/v1/terminal/sales/today', undefined, key);
    await get('/api/v1/terminal/reconciliation', undefined, key);
    await get(`/api/v1/terminal/reconciliation?day=${today}`, undefined, key);
    const pairing = await post(`${shop}/terminal-pairings`, 'town_admin', { terminalName: '收银台 3' });
    await post(`/api/v1/shops/${f.shopA}/terminal-pairings`, 'shop_clerk', { terminalName: '收银台 4' });
    await post('/api/v1/terminals/pair', undefined, { code: pairing.body.code });
    await post('/api/v1/terminals/pair', undefined, { code: pairing.body.code });
    await post('/api/v1/terminals/pair', undefined, { code: 'no' });
    await post(`/api/v1/goods/${goods.body.id}/deactivate`, 'shop_clerk');
    await get('/api/v1/terminal/receipts/S01-20261123-000042', undefined, key);
    await get(`${shop}/reconciliation?from=${today}&to=${today}`, 'town_admin');
    await get(`${shop}/reconciliation?from=${today}&to=${today}&format=csv`, 'town_admin');
    await get(`/api/v1/towns/current/shop-reconciliation?from=${today}&to=${today}`, 'auditor');

    const resident = f.residentsA[0];
    await get('/api/v1/ledger/verify', 'auditor');
    await get(`/api/v1/residents/${resident}/statement`, 'auditor');
    await get(`/api/v1/residents/${resident}/statement.csv`, 'auditor');
    await get(`/api/v1/residents/${resident}/statement.xlsx`, 'auditor');
    await post('/api/v1/ledger/year-end', 'town_admin', { year: 2100 });
    await post('/api/v1/ledger/corrections', 'town_admin', { postingId: '00000000-0000-4000-8000-000000000000', type: 'reversal', reason: '错记' });
    await get('/api/v1/audit/postings', 'auditor');
    await get('/api/v1/audit/postings.csv', 'auditor');
    await get('/api/v1/audit/postings.xlsx', 'auditor');
    await get(`/api/v1/audit/residents/${resident}/statement`, 'auditor');
    await get('/api/v1/audit/residents/00000000-0000-4000-8000-000000000000/statement', 'auditor');
    await get('/api/v1/residents/00000000-0000-4000-8000-000000000000/statement', 'auditor');
    await get(`/api/v1/audit/timeliness?period=${period}`, 'auditor');
    await get(`/api/v1/audit/timeliness.csv?from=${period}`, 'auditor');
    await get(`/api/v1/audit/timeliness.xlsx?from=${period}&to=${period}`, 'auditor');
    await get('/api/v1/audit/timeliness.xlsx?from=2026-05&to=2026-04', 'auditor');
    await get('/api/v1/audit/checkpoints', 'auditor');
    await get(`/api/v1/audit/checkpoints?villageId=${f.villageOther}`, 'auditor');
    await get('/api/v1/residents?q=a', 'auditor');
    await get('/api/v1/residents', 'auditor');
    await get('/api/v1/audit/verify', 'auditor');
    await get('/api/v1/audit/log', 'auditor');
    await get('/api/v1/credit-export/status', 'auditor');
    await get('/api/v1/credit-export/months', 'auditor');
    await get('/api/v1/credit-export/failed?limit=5', 'town_admin');
    await post('/api/v1/credit-export/retry', 'town_admin');
    await post('/api/v1/system/queue-dashboard/session', 'town_admin', undefined, { 'x-xinyi-console': '1' });
    await post('/api/v1/system/queue-dashboard/session', 'town_admin');
    await get('/api/v1/notices/status', 'town_admin');
    await post('/api/v1/notices/retry', 'town_admin', {});
    await post('/api/v1/notices/retry', 'town_admin', { ids: ['1'] });
    await put(`/api/v1/residents/${f.residentsA[0]}/sms-consent`, 'village_clerk', { consent: true });
    await get(`/api/v1/residents/${f.residentsA[0]}/notices`, 'village_clerk');
    const access = await post(`/api/v1/residents/${resident}/access-token`, 'village_clerk');
    await post(`/api/v1/residents/${resident}/access-token`, 'clerk_b');
    await get('/api/v1/resident/me', undefined, { 'x-resident-token': access.body.token as string });
    await get('/api/v1/resident/me', undefined, { 'x-resident-token': 'nope' });
    await get('/api/v1/resident/me/statement?beforeSeq=2', undefined, { 'x-resident-token': access.body.token as string });
    await get('/api/v1/resident/me/statement?beforeSeq=0', undefined, { 'x-resident-token': access.body.token as string });
    await get(`/api/v1/residents/${resident}/statement?limit=1`, 'village_clerk');
    await get('/api/v1/resident/me/board', undefined, { 'x-resident-token': access.body.token as string });
    await get('/api/v1/resident/me/proof', undefined, { 'x-resident-token': access.body.token as string });
    await post(`/api/v1/residents/${resident}/access-token/revoke`, 'village_clerk');
    await post(`/api/v1/villages/${f.villageA}/card-sheet`, 'village_clerk', {});
    await post(`/api/v1/villages/${f.villageA}/card-sheet`, 'village_clerk', { householdId: '00000000-0000-4000-8000-000000000000' });
    const hb = await post('/api/v1/system/heartbeat', 'town_admin');
    await get(`/api/v1/system/heartbeat/${hb.body.jobId}`, 'town_admin');
  });

  it('walked most of the document', () => {
    const operations = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    const all = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    const missed = all.filter((o) => !operations.has(o));
    expect(missed, 'operations this walk does not reach').toEqual([]);
  });
});

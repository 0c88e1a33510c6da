import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '@app/catalog/default-catalog';
import { demoResidents } from '@app/database/demo-seed';
import { FinalizeService } from '@app/review/finalize.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

interface AuditRow {
  action: string;
  actorType: string;
  actorId: string | null;
  summary: Record<string, unknown> | null;
}

/**
 * POSTs that store nothing (a points preview, the error report of a refused upload): they leave
 * no audit row, and the walk checks that too. A new one goes here only if it writes nothing.
 */
const STORES_NOTHING = new Set([
  'POST /api/v1/villages/{villageId}/entries/preview',
  'POST /api/v1/villages/{villageId}/entries/upload/error-report',
  'POST /api/v1/villages/{villageId}/roster/preview',
]);

const shanghaiDay = (offsetDays = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offsetDays * 86_400_000));

/**
 * Every write leaves an audit row: the list of write endpoints comes from the app itself (the
 * OpenAPI document), so a new POST/PATCH/PUT/DELETE without a step here fails the first test, and
 * a step whose request leaves no row (matched by its request id) fails the second. The month-end
 * finalize, which no endpoint runs, is checked as the system.
 */
describe('audit log: every write endpoint records who did what', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let writes: string[];
  const api = (p: string) => `/api/v1${p}`;
  const period = shanghaiDay().slice(0, 7);
  const today = shanghaiDay();
  const ids: Record<string, string> = {};
  const done = new Map<string, { action: string; requestId: string; status: number }>();

  const cardOf = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const auditOf = async (requestId: string): Promise<AuditRow[]> =>
    stack.db.query(`SELECT action, actor_type AS "actorType", actor_id AS "actorId", summary FROM audit_log WHERE request_id = $1 ORDER BY id`, [requestId]);

  /** Runs one write, remembers it under its OpenAPI operation, and insists it succeeded. */
  async function step(op: string, action: string, req: request.Test): Promise<request.Response> {
    const res = await req;
    if (res.status >= 300) throw new Error(`${op}: ${res.status} ${JSON.stringify(res.body)}`);
    done.set(op, { action, requestId: String(res.headers['x-request-id']), status: res.status });
    return res;
  }

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 4);
    t = await bearers(stack.http, f);
    const doc = (await request(stack.http).get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    writes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'get').map((m) => `${m.toUpperCase()} ${path}`));
  });
  afterAll(async () => stack?.close());

  it('drives every write endpoint once, as its users would, in the order of a month', async () => {
    const http = stack.http;
    // ---- sign-in
    const login = await step('POST /api/v1/auth/login', 'auth.login', request(http).post(api('/auth/login')).send({ username: f.users.village_clerk.username, password: 'correct-horse-battery' }));
    const refreshed = await step('POST /api/v1/auth/refresh', 'auth.refresh', request(http).post(api('/auth/refresh')).send({ refreshToken: login.body.refreshToken }));
    await step('POST /api/v1/auth/logout', 'auth.logout', request(http).post(api('/auth/logout')).send({ refreshToken: refreshed.body.refreshToken }));
    await step(
      'POST /api/v1/auth/password',
      'auth.password_change',
      request(http).post(api('/auth/password')).set('authorization', t.auditor).send({ currentPassword: 'correct-horse-battery', newPassword: 'another-long-password' }),
    );
    // ---- the town admin's set-up
    const staff = await step(
      'POST /api/v1/staff',
      'staff.create',
      request(http).post(api('/staff')).set('authorization', t.town_admin).send({ username: 'new.clerk', displayName: '新采集员', password: 'long-enough-password', role: 'village_clerk', villageId: f.villageA }),
    );
    await step('POST /api/v1/staff/{id}/deactivate', 'staff.deactivate', request(http).post(api(`/staff/${staff.body.id}/deactivate`)).set('authorization', t.town_admin));
    await step('POST /api/v1/staff/{id}/activate', 'staff.activate', request(http).post(api(`/staff/${staff.body.id}/activate`)).set('authorization', t.town_admin));
    await step('POST /api/v1/staff/{id}/password-reset', 'staff.password_reset', request(http).post(api(`/staff/${staff.body.id}/password-reset`)).set('authorization', t.town_admin));
    await step('POST /api/v1/shops', 'shop.create', request(http).post(api('/shops')).set('authorization', t.town_admin).send({ code: 'S99', name: '西村信义超市', villageIds: [f.villageB] }));
    const terminal = await step('POST /api/v1/shops/{shopId}/terminals', 'terminal.create', request(http).post(api(`/shops/${f.shopA}/terminals`)).set('authorization', t.town_admin).send({ name: '收银台' }));
    const spare = await request(http).post(api(`/shops/${f.shopA}/terminals`)).set('authorization', t.town_admin).send({ name: '备用' }).expect(201);
    await step('POST /api/v1/terminals/{id}/revoke', 'terminal.revoke', request(http).post(api(`/terminals/${spare.body.id}/revoke`)).set('authorization', t.town_admin));
    await step('POST /api/v1/system/heartbeat', 'system.heartbeat', request(http).post(api('/system/heartbeat')).set('authorization', t.town_admin));
    await step(
      'POST /api/v1/system/queue-dashboard/session',
      'system.queue_dashboard_open',
      request(http).post(api('/system/queue-dashboard/session')).set('authorization', t.town_admin).set('x-xinyi-console', '1'),
    );
    await step('PATCH /api/v1/towns/current/settings', 'town.settings.update', request(http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ baseScore: 1000 }));
    await step('POST /api/v1/villages', 'village.create', request(http).post(api('/villages')).set('authorization', t.town_admin).send({ code: 'NC', name: '南村' }));
    await step(
      'PATCH /api/v1/villages/{villageId}/board-settings',
      'village.board_settings.update',
      request(http).patch(api(`/villages/${f.villageA}/board-settings`)).set('authorization', t.town_admin).send({ committee: '东村村民委员会', contactPhone: '0631-8123456' }),
    );
    await step('POST /api/v1/catalog/adoptions', 'catalog.adopt', request(http).post(api('/catalog/adoptions')).set('authorization', t.town_admin).send({ versionCode: DEFAULT_CATALOG.version, effectiveFrom: shanghaiDay(30) }));
    await step(
      'POST /api/v1/villages/{villageId}/items',
      'catalog.village_item.create',
      request(http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send({ code: 'V01', category: '人居环境', name: '门前三包', description: '本村自设', sign: 1, rule: { type: 'fixed', points: 2 } }),
    );
    const spareItem = await request(http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send({ code: 'V02', category: '人居环境', name: '庭院整洁', description: '本村自设', sign: 1, rule: { type: 'fixed', points: 1 } }).expect(201);
    await step(
      'POST /api/v1/villages/{villageId}/items/{itemId}/retire',
      'catalog.village_item.retire',
      request(http).post(api(`/villages/${f.villageA}/items/${spareItem.body.id}/retire`)).set('authorization', t.town_admin).send({ reason: '村规民约修订' }),
    );
    // ---- the village clerk's roster
    const hh = await step('POST /api/v1/villages/{villageId}/households', 'household.create', request(http).post(api(`/villages/${f.villageA}/households`)).set('authorization', t.village_clerk).send({ code: 'A-900' }));
    const [p1, p2] = demoResidents('ZZ', 7);
    const resident = await step(
      'POST /api/v1/villages/{villageId}/residents',
      'resident.create',
      request(http).post(api(`/villages/${f.villageA}/residents`)).set('authorization', t.village_clerk).send({ householdId: hh.body.id, name: p1.name, nationalId: p1.nationalId }),
    );
    await step(
      'POST /api/v1/residents/{id}/status',
      'resident.status',
      request(http).post(api(`/residents/${resident.body.id}/status`)).set('authorization', t.village_reviewer).send({ to: 'moved', effectiveOn: today, reason: '迁出本村' }),
    );
    await step(
      'PUT /api/v1/residents/{residentId}/sms-consent',
      'resident.sms_consent',
      request(http).put(api(`/residents/${f.residentsA[0]}/sms-consent`)).set('authorization', t.village_clerk).send({ consent: true }),
    );
    const roster = Buffer.from(['户号,姓名,性别,出生年份,身份证号,手机号,卡号', `A-901,${p2.name},${p2.gender === 'M' ? '男' : '女'},${p2.birthYear},${p2.nationalId},,`].join('\r\n'), 'utf8');
    await step('POST /api/v1/villages/{villageId}/roster/preview', '', request(http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).attach('file', roster, 'roster.csv'));
    await step('POST /api/v1/villages/{villageId}/roster', 'roster.import', request(http).post(api(`/villages/${f.villageA}/roster`)).set('authorization', t.village_clerk).attach('file', roster, 'roster.csv'));
    // ---- the month's entries
    const entry = await step(
      'POST /api/v1/villages/{villageId}/entries',
      'entry.create',
      request(http).post(api(`/villages/${f.villageA}/entries`)).set('authorization', t.village_clerk).send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: today }),
    );
    ids.entry = entry.body.id;
    await step(
      'POST /api/v1/villages/{villageId}/entries/preview',
      '',
      request(http).post(api(`/villages/${f.villageA}/entries/preview`)).set('authorization', t.village_clerk).send({ residentId: f.residentsA[1], itemCode: 'T10', occurredOn: today }),
    );
    const badSheet = Buffer.from(['卡号,姓名,事项编码,发生日期,数量,分值,理由,证据说明', `NOSUCHCARD1,某某,T10,${today},,,,`].join('\r\n') + '\r\n', 'utf8');
    await step(
      'POST /api/v1/villages/{villageId}/entries/upload/error-report',
      '',
      request(http).post(api(`/villages/${f.villageA}/entries/upload/error-report`)).set('authorization', t.village_clerk).attach('file', badSheet, 'entries.csv'),
    );
    const mistaken = await request(http).post(api(`/villages/${f.villageA}/entries`)).set('authorization', t.village_clerk).send({ residentId: f.residentsA[2], itemCode: 'T10', occurredOn: today }).expect(201);
    await step('POST /api/v1/entries/{id}/withdraw', 'entry.withdraw', request(http).post(api(`/entries/${mistaken.body.id}/withdraw`)).set('authorization', t.village_clerk).send({ reason: '录错了人' }));
    const sheet = Buffer.from(['卡号,姓名,事项编码,发生日期,数量,分值,理由,证据说明', `${await cardOf(f.residentsA[1])},测试1,T10,${today},,,,签到表`].join('\r\n') + '\r\n', 'utf8');
    await step('POST /api/v1/villages/{villageId}/entries/upload', 'entry.upload', request(http).post(api(`/villages/${f.villageA}/entries/upload`)).set('authorization', t.village_clerk).attach('file', sheet, 'entries.csv'));
    // ---- the review cycle
    const cyc = (p: string) => api(`/villages/${f.villageA}/cycles/${period}${p}`);
    await step('POST /api/v1/villages/{villageId}/cycles/{period}/close', 'cycle.close', request(http).post(cyc('/close')).set('authorization', t.town_admin));
    await step('POST /api/v1/villages/{villageId}/cycles/{period}/reopen', 'cycle.reopen', request(http).post(cyc('/reopen')).set('authorization', t.town_admin).send({ reason: '补录一条遗漏记录' }));
    await request(http).post(cyc('/close')).set('authorization', t.town_admin).expect(200);
    await step('POST /api/v1/villages/{villageId}/cycles/{period}/meeting', 'cycle.meeting', request(http).post(cyc('/meeting')).set('authorization', t.village_reviewer).send({ heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条审议' }));
    const pending: Array<{ id: string }> = await stack.db.query(`SELECT entry_id AS id FROM entry_states WHERE village_id = $1 AND period = $2 AND status = 'submitted'`, [f.villageA, period]);
    await step(
      'POST /api/v1/villages/{villageId}/cycles/{period}/decisions',
      'cycle.decide',
      request(http).post(cyc('/decisions')).set('authorization', t.village_reviewer).send({ decisions: pending.map((e) => ({ entryId: e.id, decision: 'approve' })) }),
    );
    await step('POST /api/v1/villages/{villageId}/cycles/{period}/publish', 'cycle.publish', request(http).post(cyc('/publish')).set('authorization', t.village_reviewer));
    const objection = await step(
      'POST /api/v1/public/boards/{villageId}/{period}/objections',
      'objection.file',
      request(http).post(api(`/public/boards/${f.villageA}/${period}/objections`)).send({ entryId: ids.entry, name: '张三', contact: '13800000000', reason: '这件事不是他做的' }),
    );
    await step('POST /api/v1/objections/{id}/answer', 'objection.answer', request(http).post(api(`/objections/${objection.body.id}/answer`)).set('authorization', t.village_reviewer).send({ outcome: 'dismissed', answer: '经核实属实，记录照常入账' }));
    // ---- month end (the system) and the ledger
    const [cycle] = await stack.db.query(`SELECT id FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    ids.cycle = cycle.id;
    expect(await stack.api.get(FinalizeService).finalize(cycle.id, new Date(Date.now() + 30 * 86_400_000))).toBe('finalized');
    const [deed] = await stack.db.query(`SELECT id::text FROM postings WHERE kind = 'deed' AND account_id = $1`, [f.residentsA[0]]);
    await step('POST /api/v1/ledger/corrections', 'ledger.correct', request(http).post(api('/ledger/corrections')).set('authorization', t.village_reviewer).send({ postingId: deed.id, type: 'reversal', reason: '复核：同一件事记了两次' }));
    await step(
      'POST /api/v1/ledger/opening-balances',
      'ledger.opening_balances',
      request(http).post(api('/ledger/opening-balances')).set('authorization', t.town_admin).send({ sourceDocument: '纸质台账', lines: [{ residentId: f.residentsA[3], points: 100 }] }),
    );
    await step('POST /api/v1/ledger/year-end', 'ledger.year_end.request', request(http).post(api('/ledger/year-end')).set('authorization', t.town_admin).send({ year: Number(today.slice(0, 4)) - 1 }));
    await step('POST /api/v1/credit-export/retry', 'credit_export.retry', request(http).post(api('/credit-export/retry')).set('authorization', t.town_admin));
    await step('POST /api/v1/notices/retry', 'notices.retry', request(http).post(api('/notices/retry')).set('authorization', t.town_admin).send({}));
    // ---- the shop
    const goods = await step('POST /api/v1/shops/{shopId}/goods', 'goods.create', request(http).post(api(`/shops/${f.shopA}/goods`)).set('authorization', t.shop_clerk).send({ name: '毛巾', unit: '条', pricePoints: 5 }));
    await step('PATCH /api/v1/goods/{id}', 'goods.update', request(http).patch(api(`/goods/${goods.body.id}`)).set('authorization', t.shop_clerk).send({ pricePoints: 6 }));
    await step('POST /api/v1/goods/{id}/stock', 'goods.received', request(http).post(api(`/goods/${goods.body.id}/stock`)).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: 10, reason: '进货' }));
    await step(
      'POST /api/v1/goods/{id}/stock-count',
      'goods.counted',
      request(http).post(api(`/goods/${goods.body.id}/stock-count`)).set('authorization', t.shop_clerk).send({ counted: 9, reason: '月末盘点' }),
    );
    const pairing = await step(
      'POST /api/v1/shops/{shopId}/terminal-pairings',
      'terminal.pairing_create',
      request(http).post(api(`/shops/${f.shopA}/terminal-pairings`)).set('authorization', t.town_admin).send({ terminalName: '收银台 2' }),
    );
    const paired = await step('POST /api/v1/terminals/pair', 'terminal.pair', request(http).post(api('/terminals/pair')).send({ code: pairing.body.code }));
    ids.pairedTerminal = paired.body.terminal.id;
    ids.pairRequest = String(paired.headers['x-request-id']);
    const key = terminal.body.apiKey as string;
    const card = await cardOf(f.residentsA[3]);
    const sale = await step(
      'POST /api/v1/terminal/redemptions',
      'redemption.create',
      request(http).post(api('/terminal/redemptions')).set('x-api-key', key).set('idempotency-key', 'audit-walk-0001').send({ cardCode: card, lines: [{ goodsId: goods.body.id, quantity: 1 }] }),
    );
    await step('POST /api/v1/terminal/redemptions/{receiptNo}/void', 'redemption.void', request(http).post(api(`/terminal/redemptions/${sale.body.receiptNo}/void`)).set('x-api-key', key).send({ reason: '拿错了' }));
    const sale2 = await request(http).post(api('/terminal/redemptions')).set('x-api-key', key).set('idempotency-key', 'audit-walk-0002').send({ cardCode: card, lines: [{ goodsId: goods.body.id, quantity: 1 }] }).expect(201);
    await step('POST /api/v1/shop-redemptions/{receiptNo}/void', 'redemption.void', request(http).post(api(`/shop-redemptions/${sale2.body.receiptNo}/void`)).set('authorization', t.shop_clerk).send({ reason: '村民退回' }));
    await step('POST /api/v1/goods/{id}/deactivate', 'goods.deactivate', request(http).post(api(`/goods/${goods.body.id}/deactivate`)).set('authorization', t.shop_clerk));

    // ---- residents' points cards and phone-page tokens
    await step('POST /api/v1/residents/{residentId}/access-token', 'resident.access_token_issue', request(http).post(api(`/residents/${f.residentsA[1]}/access-token`)).set('authorization', t.village_clerk));
    await step('POST /api/v1/residents/{residentId}/access-token/revoke', 'resident.access_token_revoke', request(http).post(api(`/residents/${f.residentsA[1]}/access-token/revoke`)).set('authorization', t.town_admin));
    await step('POST /api/v1/villages/{villageId}/card-sheet', 'resident.access_token_issue', request(http).post(api(`/villages/${f.villageA}/card-sheet`)).set('authorization', t.village_clerk).send({}));

    expect(writes.filter((op) => !done.has(op)), 'write endpoints this walk does not drive: add a step (and an audit row)').toEqual([]);
  });

  it('each of those requests left an audit row with its action, under its request id', async () => {
    expect(done.size).toBe(writes.length);
    const failures: string[] = [];
    for (const [op, d] of done) {
      const rows = await auditOf(d.requestId);
      if (STORES_NOTHING.has(op)) {
        if (rows.length) failures.push(`${op}: stores nothing, yet wrote ${JSON.stringify(rows.map((r) => r.action))}`);
        continue;
      }
      if (!rows.some((r) => r.action === d.action)) failures.push(`${op}: expected ${d.action}, found ${JSON.stringify(rows.map((r) => r.action))}`);
      if (rows.some((r) => r.actorType === 'system')) failures.push(`${op}: a request's row has no actor`);
    }
    expect(failures).toEqual([]);
  });

  it('the pairing exchange is recorded as the terminal it made (no staff user does it)', async () => {
    const rows = await auditOf(ids.pairRequest);
    expect(rows).toEqual([{ action: 'terminal.pair', actorType: 'terminal', actorId: ids.pairedTerminal, summary: expect.objectContaining({ shopId: f.shopA }) }]);
  });

  it('the month-end finalize is audited as the system: counts and checkpoint', async () => {
    const [row] = await stack.db.query(
      `SELECT actor_type AS "actorType", actor_id AS "actorId", summary FROM audit_log WHERE action = 'cycle.finalize' AND target_id = $1`,
      [ids.cycle],
    );
    const [cp] = await stack.db.query(`SELECT hash FROM cycle_checkpoints WHERE cycle_id = $1`, [ids.cycle]);
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE kind = 'deed' AND source_ref LIKE 'entry:%' AND period = $1`, [period]);
    expect(row).toEqual({ actorType: 'system', actorId: null, summary: expect.objectContaining({ villageId: f.villageA, period, posted: n, checkpointHash: cp.hash, accounts: expect.any(Number) }) });
    expect(n).toBe(2);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, shanghaiDate } from '@app/common/time';
import { NoticeDeliveryService, signSmsBody, smsMessageId } from '@app/notices/notice-delivery.service';
import { SMS_MAX_ATTEMPTS } from '@app/notices/delivery-policy';
import { SMS_SEGMENT_CHARS } from '@app/notices/templates';
import { JobQueue } from '@app/queue/job-queue.service';
import { FinalizeService } from '@app/review/finalize.service';
import { startStack, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { spawnBuilt, stopSpawned, type Spawned } from '../support/processes';
import { waitFor } from '../support/wait-for';

const SECRET = 'test-notice-sms-secret-0123456';
const DAY_MS = 86_400_000;

interface SmsMessage {
  id: string;
  phone: string;
  text: string;
}

/** A fake SMS gateway: checks the signature, records what it took; can be told to fail (500) or stall. */
class SmsSink {
  server: Server;
  received: SmsMessage[] = [];
  mode: 'ok' | 'fail' | 'stall' = 'ok';
  badSignatures = 0;
  stalled = 0;
  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.headers['x-xinyi-signature'] !== `sha256=${signSmsBody(body, SECRET)}`) {
          this.badSignatures++;
          return res.writeHead(401).end();
        }
        if (this.mode === 'fail') return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"gateway down"}');
        if (this.mode === 'stall') {
          this.stalled++;
          return; // never answers: the worker is killed while waiting
        }
        this.received.push(...(JSON.parse(body).messages as SmsMessage[]));
        res.writeHead(200).end('{}');
      });
    });
  }
}

/** Shanghai wall-clock time `hhmm` on the day `days` from today: the delivery runs' "now". */
const shanghaiAt = (days: number, hhmm: string) => new Date(`${shanghaiDate(new Date(Date.now() + days * DAY_MS))}T${hhmm}:00+08:00`);

describe('notices: outbox in the cause’s transaction, SMS with consent, quiet hours, retries, status', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const sink = new SmsSink();
  let sinkUrl: string;
  const period = periodOf(new Date());
  const today = shanghaiDate(new Date());
  const cyc = (suffix = '') => `/api/v1/villages/${f.villageA}/cycles/${period}${suffix}`;
  const as = (who: FixtureUser) => ({ authorization: t[who] });
  const ids: Record<string, string> = {};
  let r: string[];

  const notices = async (residentId: string) =>
    (await stack.db.query(`SELECT n.id::text AS id, n.kind, n.data, n.sms_state AS state, n.skip_reason AS reason, n.attempts FROM notices n WHERE n.resident_id = $1 ORDER BY n.id`, [residentId])) as Array<{
      id: string;
      kind: string;
      data: Record<string, unknown>;
      state: string;
      reason: string | null;
      attempts: number;
    }>;
  const countNotices = async (kind?: string) => (await stack.db.query(`SELECT count(*)::int AS n FROM notices WHERE town_id = $1 ${kind ? 'AND kind = $2' : ''}`, kind ? [f.townId, kind] : [f.townId]))[0].n as number;
  const delivery = () => stack.api.get(NoticeDeliveryService);

  /** Makes the audit row of `action` fail: the cause's transaction then rolls back after writing its notices. */
  async function withAuditFailing<T>(action: string, fn: () => Promise<T>): Promise<T> {
    await stack.db.query(`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await stack.db.query(`CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = '${action}') EXECUTE FUNCTION test_fail_audit()`);
    try {
      return await fn();
    } finally {
      await stack.db.query(`DROP TRIGGER test_fail_audit ON audit_log`);
    }
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}/sms`;
    stack = await startStack({ env: { NOTICE_SMS_URL: sinkUrl, NOTICE_SMS_SECRET: SECRET, NOTICE_SMS_TIMEOUT_MS: '2000', WORKER_LOCK_DURATION_MS: '3000' } });
    f = await seedTown(stack.db, 4);
    t = await bearers(stack.http, f);
    r = f.residentsA;
    // r0: phone + consent; r1: phone, no consent; r2: consent, no phone; r3: phone + consent.
    await stack.db.query(`UPDATE residents SET phone = '1380000000' || right(card_code, 1) WHERE id = ANY($1::uuid[])`, [[r[0], r[1], r[3]]]);
  });
  afterAll(async () => {
    await stack?.close();
    sink.server.closeAllConnections();
    await new Promise((resolve) => sink.server.close(resolve));
  });

  it('a clerk records consent (audited); another village’s clerk cannot; bad input is a 400', async () => {
    for (const id of [r[0], r[2], r[3]]) {
      const res = await request(stack.http).put(`/api/v1/residents/${id}/sms-consent`).set(as('village_clerk')).send({ consent: true }).expect(200);
      expect(res.body).toEqual({ residentId: id, smsConsent: true, hasPhone: id !== r[2] });
    }
    expect((await request(stack.http).put(`/api/v1/residents/${r[1]}/sms-consent`).set(as('clerk_b')).send({ consent: true }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await request(stack.http).put(`/api/v1/residents/${r[1]}/sms-consent`).set(as('village_clerk')).send({ consent: 'yes' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).put(`/api/v1/residents/not-a-uuid/sms-consent`).set(as('village_clerk')).send({ consent: true }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).put(`/api/v1/residents/00000000-0000-4000-8000-000000000001/sms-consent`).set(as('village_clerk')).send({ consent: true }).expect(404)).body.code).toBe(
      'RESIDENT.NOT_FOUND',
    );
    const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'resident.sms_consent' AND target_id = $1`, [r[0]]);
    expect(audit.summary).toEqual({ before: false, after: true });
  });

  it('publish writes a notice per breach entry (warnings too) in its transaction: none when publish rolls back', async () => {
    const enter = async (key: string, body: Record<string, unknown>) => {
      ids[key] = (await request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set(as('village_clerk')).send({ occurredOn: today, ...body }).expect(201)).body.id;
    };
    for (const n of [1, 2, 3]) await enter(`fireworks${n}`, { residentId: r[0], itemCode: 'B10', evidenceNote: `第${n}次` });
    await enter('parking', { residentId: r[0], itemCode: 'B01' }); // first of two: a 0-point warning
    await enter('litter1', { residentId: r[1], itemCode: 'B02' });
    await enter('litter2', { residentId: r[2], itemCode: 'B02' });
    await enter('army', { residentId: r[3], itemCode: 'T10' });
    await enter('brave', { residentId: r[3], itemCode: 'T57', points: 10, reason: '扑救邻居家火情' });
    await request(stack.http).post(cyc('/close')).set(as('town_admin')).expect(200);
    await request(stack.http).post(cyc('/meeting')).set(as('village_reviewer')).send({ heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条审议' }).expect(200);
    await request(stack.http)
      .post(cyc('/decisions'))
      .set(as('village_reviewer'))
      .send({ decisions: Object.values(ids).map((entryId) => ({ entryId, decision: 'approve' })) })
      .expect(200);

    await withAuditFailing('cycle.publish', async () => {
      await request(stack.http).post(cyc('/publish')).set(as('village_reviewer')).expect(500);
    });
    expect(await countNotices()).toBe(0);
    expect((await stack.db.query(`SELECT state FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, period]))[0].state).toBe('reviewed');

    await request(stack.http).post(cyc('/publish')).set(as('village_reviewer')).expect(200);
    const r0 = await notices(r[0]);
    expect(r0.map((n) => [n.kind, n.state, n.data.points]).sort()).toEqual([
      ['breach_published', 'pending', -20],
      ['breach_published', 'pending', -20],
      ['breach_published', 'pending', -20],
      ['breach_published', 'pending', 0],
    ]);
    expect(r0.find((n) => n.data.entryId === ids.fireworks1)?.data).toMatchObject({ itemName: '在禁放区域或时段燃放烟花爆竹', period, points: -20 });
    expect(r0.find((n) => n.data.entryId === ids.parking)?.data).toMatchObject({ itemName: expect.stringContaining('不按规定停放车辆'), points: 0 });
    expect((await notices(r[1])).map((n) => [n.kind, n.state, n.reason])).toEqual([['breach_published', 'skipped', 'no_consent']]);
    expect((await notices(r[2])).map((n) => [n.kind, n.state, n.reason])).toEqual([['breach_published', 'skipped', 'no_phone']]);
    expect(await notices(r[3])).toEqual([]); // trust items are no breach
  });

  it('answering an objection tells the resident whose entry it is, in the answer’s transaction', async () => {
    const object = async (entryId: string) =>
      (
        await request(stack.http)
          .post(`/api/v1/public/boards/${f.villageA}/${period}/objections`)
          .send({ entryId, name: '邻居老王', contact: '13911112222', reason: '情况不属实' })
          .expect(201)
      ).body.id as string;
    ids.objectionLitter = await object(ids.litter1);
    ids.objectionBrave = await object(ids.brave);
    const answer = (id: string, outcome: string) => request(stack.http).post(`/api/v1/objections/${id}/answer`).set(as('village_reviewer')).send({ outcome, answer: '经议事会复核' });
    await withAuditFailing('objection.answer', async () => {
      await answer(ids.objectionLitter, 'upheld').expect(500);
    });
    expect(await countNotices('objection_answered')).toBe(0);
    await answer(ids.objectionLitter, 'upheld').expect(200);
    const answered = (await notices(r[1])).filter((n) => n.kind === 'objection_answered');
    expect(answered).toEqual([expect.objectContaining({ state: 'skipped', reason: 'no_consent', data: expect.objectContaining({ outcome: 'upheld', objectionId: ids.objectionLitter, period }) })]);
  });

  it('finalize writes points and grade notices in its transaction (one statement per batch); none when it rolls back', async () => {
    const [cycle] = await stack.db.query(`SELECT id FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    ids.cycle = cycle.id;
    const finalizing = stack.api.get(FinalizeService);
    const later = new Date(Date.now() + 30 * DAY_MS);
    await withAuditFailing('cycle.finalize', async () => {
      await expect(finalizing.finalize(cycle.id, later)).rejects.toThrow(/injected failure/);
    });
    expect(await countNotices('points_posted')).toBe(0);
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE village_id = $1`, [f.villageA]))[0].n).toBe(0);

    expect(await finalizing.finalize(cycle.id, later)).toBe('finalized');
    // r0: three −20 and a warning: 1000 − 60 = 940, grade A → B.
    const r0 = (await notices(r[0])).filter((n) => n.kind !== 'breach_published');
    expect(r0.map((n) => [n.kind, n.data]).sort()).toEqual([
      ['grade_changed', { from: 'A', to: 'B', creditScore: 940 }],
      ['points_posted', { period, gained: 0, lost: -60, count: 4, balance: -60 }],
    ]);
    expect((await notices(r[2])).filter((n) => n.kind === 'points_posted').map((n) => [n.data.lost, n.state])).toEqual([[-5, 'skipped']]);
    // r1's entry was withdrawn by the upheld objection, r3's brave deed is still disputed.
    expect((await notices(r[1])).filter((n) => n.kind === 'points_posted')).toEqual([]);
    expect((await notices(r[3])).map((n) => [n.kind, n.data.gained, n.data.balance])).toEqual([['points_posted', 5, 5]]);
    // Run again: nothing new (the cycle is finalized; source keys are unique besides).
    const before = await countNotices();
    expect(await finalizing.finalize(cycle.id, later)).toBe('already');
    expect(await countNotices()).toBe(before);
  });

  it('an objection dismissed after finalize posts late: points and the answer are both told', async () => {
    await request(stack.http).post(`/api/v1/objections/${ids.objectionBrave}/answer`).set(as('village_reviewer')).send({ outcome: 'dismissed', answer: '经核实属实' }).expect(200);
    const r3 = await notices(r[3]);
    expect(r3.map((n) => [n.kind, n.state, n.data.gained ?? n.data.outcome])).toEqual([
      ['points_posted', 'pending', 5],
      ['points_posted', 'pending', 10],
      ['objection_answered', 'pending', 'dismissed'],
    ]);
  });

  it('a redemption writes its notice in the sale’s transaction: none for a sale that rolls back', async () => {
    const goods = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set(as('shop_clerk')).send({ name: '毛巾', unit: '条', pricePoints: 3 }).expect(201)).body;
    await request(stack.http).post(`/api/v1/goods/${goods.id}/stock`).set(as('shop_clerk')).send({ kind: 'received', quantity: 50, reason: '进货' }).expect(200);
    ids.goods = goods.id;
    ids.apiKey = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set(as('town_admin')).send({ name: 'notices' }).expect(201)).body.apiKey;
    const [{ card_code: card }] = await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [r[3]]);
    ids.card = card;
    const sell = (key: string) => request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', ids.apiKey).set('idempotency-key', key).send({ cardCode: card, lines: [{ goodsId: goods.id, quantity: 1 }] });
    await withAuditFailing('redemption.create', async () => {
      await sell('notice-sale-0001').expect(500);
    });
    expect(await countNotices('redemption')).toBe(0);
    const receipt = (await sell('notice-sale-0001').expect(201)).body;
    const sale = (await notices(r[3])).filter((n) => n.kind === 'redemption');
    expect(sale.map((n) => [n.state, n.data])).toEqual([['pending', { shopName: '信义超市', points: 3, balance: 12, receiptNo: receipt.receiptNo }]]);
    // A replay of the same key makes no second notice.
    await sell('notice-sale-0001').expect(200);
    expect(await countNotices('redemption')).toBe(1);
  });

  it('delivery sends the pending notices (signed, one segment each, with their id) and never those without phone or consent', async () => {
    const run = await delivery().deliverDue(shanghaiAt(2, '10:00'));
    const pending = [...(await notices(r[0])), ...(await notices(r[3]))];
    expect(run).toEqual({ sent: pending.length, failed: 0, skipped: 0, idle: null });
    expect(sink.badSignatures).toBe(0);
    expect(sink.received.map((m) => m.id).sort()).toEqual(pending.map((n) => smsMessageId(n.id)).sort());
    for (const m of sink.received) {
      expect(m.text.length).toBeLessThanOrEqual(SMS_SEGMENT_CHARS);
      expect(m.text.startsWith('【信义积分】')).toBe(true);
    }
    const phones = await stack.db.query(`SELECT id, phone FROM residents WHERE id = ANY($1::uuid[])`, [[r[0], r[3]]]);
    expect(new Set(sink.received.map((m) => m.phone))).toEqual(new Set(phones.map((p: { phone: string }) => p.phone)));
    expect(sink.received.find((m) => m.text.includes('信用等级'))?.text).toBe('【信义积分】您的信用等级由A调整为B，信用分940。');
    expect((await notices(r[0])).every((n) => n.state === 'sent')).toBe(true);
    expect((await notices(r[1])).every((n) => n.state === 'skipped')).toBe(true);
    expect(await delivery().deliverDue(shanghaiAt(2, '10:05'))).toEqual({ sent: 0, failed: 0, skipped: 0, idle: null });
  });

  it('the resident’s notices are listed with full text and SMS state (staff in scope; the phone page uses the same method)', async () => {
    const page = await request(stack.http).get(`/api/v1/residents/${r[1]}/notices`).set(as('village_reviewer')).expect(200);
    expect(page.body.items.map((n: { kind: string; smsState: string; skipReason: string }) => [n.kind, n.smsState, n.skipReason])).toEqual([
      ['objection_answered', 'skipped', 'no_consent'],
      ['breach_published', 'skipped', 'no_consent'],
    ]);
    expect(page.body.items[1].text).toContain('违规占用广场、道路打场晒粮，扣5分');
    expect(page.body.items[0].kindLabel).toBe('异议答复');
    expect(page.body.nextBefore).toBeNull();
    const first = await request(stack.http).get(`/api/v1/residents/${r[0]}/notices`).query({ limit: 2 }).set(as('auditor')).expect(200);
    expect(first.body.items).toHaveLength(2);
    const rest = await request(stack.http).get(`/api/v1/residents/${r[0]}/notices`).query({ limit: 100, before: first.body.nextBefore }).set(as('auditor')).expect(200);
    const all = (await notices(r[0])).map((n) => n.id).reverse();
    expect([...first.body.items, ...rest.body.items].map((n: { id: string }) => n.id)).toEqual(all); // newest first, numerically (ids pass 9 → 10)
    expect(all.length).toBeGreaterThan(2);
    expect((await request(stack.http).get(`/api/v1/residents/${r[0]}/notices`).set(as('clerk_b')).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await request(stack.http).get(`/api/v1/residents/${r[0]}/notices`).query({ before: 'x' }).set(as('auditor')).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).get(`/api/v1/residents/${f.residentsOther[0]}/notices`).set(as('town_admin')).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
  });

  const sellOne = async (key: string) =>
    request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', ids.apiKey).set('idempotency-key', key).send({ cardCode: ids.card, lines: [{ goodsId: ids.goods, quantity: 1 }] }).expect(201);
  const lastNotice = async () => (await notices(r[3])).at(-1)!;

  it('quiet hours hold notices from 21:00 to 08:00 Shanghai (across midnight) and release them after, none dropped', async () => {
    // Points for the sales below (opening balances tell nobody: they are no cause of a notice).
    await request(stack.http).post('/api/v1/ledger/opening-balances').set(as('town_admin')).send({ sourceDocument: '纸质台账', lines: [{ residentId: r[3], points: 100 }] }).expect(201);
    await sellOne('notice-sale-quiet');
    const held = await lastNotice();
    sink.received = [];
    expect(await delivery().deliverDue(shanghaiAt(3, '20:59'))).toMatchObject({ sent: 1 });
    await sellOne('notice-sale-quiet-2');
    const second = await lastNotice();
    for (const [days, hhmm] of [[3, '21:00'], [3, '23:59'], [4, '00:00'], [4, '07:59']] as const) {
      expect(await delivery().deliverDue(shanghaiAt(days, hhmm)), `${hhmm}`).toEqual({ sent: 0, failed: 0, skipped: 0, idle: 'quiet-hours' });
    }
    expect((await lastNotice()).state).toBe('pending');
    expect(await delivery().deliverDue(shanghaiAt(4, '08:00'))).toEqual({ sent: 1, failed: 0, skipped: 0, idle: null });
    expect(sink.received.map((m) => m.id)).toEqual([smsMessageId(held.id), smsMessageId(second.id)]);
  });

  it('consent withdrawn after a notice was written: it is not sent (checked again at sending)', async () => {
    await sellOne('notice-sale-consent');
    await request(stack.http).put(`/api/v1/residents/${r[3]}/sms-consent`).set(as('village_clerk')).send({ consent: false }).expect(200);
    sink.received = [];
    expect(await delivery().deliverDue(shanghaiAt(5, '09:00'))).toEqual({ sent: 0, failed: 0, skipped: 1, idle: null });
    expect(await lastNotice()).toMatchObject({ state: 'skipped', reason: 'no_consent' });
    expect(sink.received).toEqual([]);
    await request(stack.http).put(`/api/v1/residents/${r[3]}/sms-consent`).set(as('village_clerk')).send({ consent: true }).expect(200);
  });

  it('a gateway 500 is retried with backoff, then sent; out of attempts it is failed until the town admin retries', async () => {
    await sellOne('notice-sale-retry');
    const n = await lastNotice();
    sink.mode = 'fail';
    const t0 = shanghaiAt(6, '09:00');
    expect(await delivery().deliverDue(t0)).toEqual({ sent: 0, failed: 1, skipped: 0, idle: null });
    const [row] = await stack.db.query(`SELECT sms_state, attempts, last_error, next_attempt_at FROM notices WHERE id = $1`, [n.id]);
    expect(row).toMatchObject({ sms_state: 'pending', attempts: 1, last_error: 'HTTP 500: {"error":"gateway down"}' });
    expect((row.next_attempt_at as Date).getTime()).toBe(t0.getTime() + 30_000);
    sink.mode = 'ok';
    sink.received = [];
    expect(await delivery().deliverDue(new Date(t0.getTime() + 29_000))).toEqual({ sent: 0, failed: 0, skipped: 0, idle: null }); // still backing off
    expect(await delivery().deliverDue(new Date(t0.getTime() + 30_000))).toEqual({ sent: 1, failed: 0, skipped: 0, idle: null });
    expect(sink.received.map((m) => m.id)).toEqual([smsMessageId(n.id)]);

    // The last attempt fails: the notice is failed, shown with the gateway's answer.
    await sellOne('notice-sale-fail');
    const failed = await lastNotice();
    await stack.db.query(`UPDATE notices SET attempts = $2 WHERE id = $1`, [failed.id, SMS_MAX_ATTEMPTS - 1]);
    sink.mode = 'fail';
    expect(await delivery().deliverDue(shanghaiAt(7, '09:00'))).toMatchObject({ failed: 1 });
    sink.mode = 'ok';
    expect((await lastNotice()).state).toBe('failed');
    expect(await delivery().deliverDue(shanghaiAt(8, '09:00'))).toMatchObject({ sent: 0 }); // not by itself any more
    ids.failedNotice = failed.id;

    const status = await request(stack.http).get('/api/v1/notices/status').set(as('town_admin')).expect(200);
    expect(status.body).toMatchObject({ gatewayConfigured: true, counts: { failed: 1, skipped: expect.any(Number), sent: expect.any(Number) }, skipped: { no_phone: 2, no_consent: 3 } });
    expect(status.body.failed).toEqual([
      expect.objectContaining({ id: failed.id, residentId: r[3], villageId: f.villageA, villageName: '东村', kind: 'redemption', attempts: SMS_MAX_ATTEMPTS, lastError: 'HTTP 500: {"error":"gateway down"}' }),
    ]);
    expect(status.body.failed[0].text).toMatch(/^【信义积分】您在信义超市兑换用去3分/);
    expect(typeof status.body.quietHours).toBe('boolean');
  });

  it('status and retry: scope and bad input', async () => {
    const [other] = await stack.db.query(
      `INSERT INTO notices (town_id, village_id, resident_id, kind, source_key, data, sms_state) SELECT town_id, village_id, id, 'redemption', 'test:other', '{}', 'failed' FROM residents WHERE id = $1 RETURNING id::text`,
      [f.residentsOther[0]],
    );
    const sent = (await notices(r[0]))[0];
    const retry = (who: FixtureUser, body: unknown) => request(stack.http).post('/api/v1/notices/retry').set(as(who)).send(body as object);
    expect((await retry('auditor', {}).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await retry('town_admin', { ids: ['x'] }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await retry('town_admin', { ids: [] }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await retry('town_admin', { ids: 'all' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await retry('town_admin', { ids: Array.from({ length: 501 }, (_, i) => String(i + 1)) }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    const foreign = await retry('town_admin', { ids: [ids.failedNotice, other.id] }).expect(404);
    expect(foreign.body).toMatchObject({ code: 'NOTICE.NOT_FOUND', details: { ids: [other.id] } });
    expect((await retry('town_admin', { ids: [sent.id] }).expect(409)).body).toMatchObject({ code: 'NOTICE.NOT_FAILED', details: { ids: [sent.id] } });
    expect((await stack.db.query(`SELECT sms_state FROM notices WHERE id = $1`, [ids.failedNotice]))[0].sms_state).toBe('failed'); // all or nothing

    const status = (q: Record<string, unknown>, who: FixtureUser = 'town_admin') => request(stack.http).get('/api/v1/notices/status').query(q).set(as(who));
    expect((await status({ villageId: f.villageOther }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await status({ villageId: 'nope' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await status({ limit: 0 }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await status({}, 'village_clerk').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await status({ villageId: f.villageB }).expect(200)).body.counts).toEqual({ pending: 0, sent: 0, failed: 0, skipped: 0 });
    expect((await status({}, 'auditor').expect(200)).body.counts.failed).toBe(1);
    expect((await status({}, 'other_town_admin').expect(200)).body).toMatchObject({ counts: { failed: 1, sent: 0 }, failed: [expect.objectContaining({ id: other.id })] });

    const ok = await retry('town_admin', { ids: [ids.failedNotice] }).expect(200);
    expect(ok.body).toEqual({ requeued: 1, queued: true });
    expect((await stack.db.query(`SELECT sms_state, attempts FROM notices WHERE id = $1`, [ids.failedNotice]))[0]).toEqual({ sms_state: 'pending', attempts: 0 });
    const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'notices.retry' ORDER BY id DESC LIMIT 1`);
    expect(audit.summary).toEqual({ requeued: 1, ids: [ids.failedNotice] });
    sink.received = [];
    expect(await delivery().deliverDue(shanghaiAt(9, '09:00'))).toMatchObject({ sent: 1 });
    expect(sink.received.map((m) => m.id)).toEqual([smsMessageId(ids.failedNotice)]);
    // The other town's admin retries all of theirs (no ids): only theirs.
    expect((await retry('other_town_admin', {}).expect(200)).body).toEqual({ requeued: 1, queued: true });
  });

  it('a worker SIGKILLed mid-delivery loses nothing: after a restart every notice is sent (at least once, same ids)', async () => {
    const [village] = await stack.db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, 'K1', '断电村') RETURNING id`, [f.townId]);
    const { cycleId } = await seedPublishedCycle(stack.db, f.townId, village.id, '2026-02', 150, 1);
    await stack.db.query(
      `UPDATE residents r SET phone = '139' || lpad(x.n::text, 8, '0'), sms_consent = true FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM residents WHERE village_id = $1) x WHERE r.id = x.id`,
      [village.id],
    );
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    const kill = async () => (await stack.db.query(`SELECT id::text, sms_state FROM notices WHERE village_id = $1`, [village.id])) as Array<{ id: string; sms_state: string }>;
    expect((await kill()).map((n) => n.sms_state)).toEqual(Array(150).fill('pending'));

    // The spawned workers run on the real clock: a quiet window away from now, so they may send.
    const hour = Number(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(11, 13));
    const env = {
      DATABASE_URL: stack.env.DATABASE_URL,
      REDIS_URL: stack.env.REDIS_URL,
      QUEUE_PREFIX: stack.env.QUEUE_PREFIX,
      NOTICE_SMS_URL: sinkUrl,
      NOTICE_SMS_SECRET: SECRET,
      NOTICE_SMS_TIMEOUT_MS: '2000',
      NOTICE_QUIET_HOURS: `${(hour + 2) % 24}-${(hour + 3) % 24}`,
      WORKER_LOCK_DURATION_MS: '3000',
      LOG_LEVEL: 'warn',
    };
    sink.mode = 'stall';
    sink.received = [];
    let worker: Spawned | undefined;
    const doomed = spawnBuilt('worker', [], env);
    try {
      await stack.api.get(JobQueue).enqueue('notices.deliver', {}, { jobId: 'notices-kill-test' });
      await waitFor(() => sink.stalled > 0, { timeoutMs: 30_000, description: 'the worker to be inside a delivery' });
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      // Nothing marked sent, nothing lost: the claimed batch is leased, the rest untouched.
      expect((await kill()).filter((n) => n.sms_state !== 'pending')).toEqual([]);
      const [{ leased }] = await stack.db.query(`SELECT count(*)::int AS leased FROM notices WHERE village_id = $1 AND attempts = 1`, [village.id]);
      expect(leased).toBeGreaterThan(0);

      sink.mode = 'ok';
      worker = spawnBuilt('worker', [], env);
      await waitFor(async () => (await kill()).every((n) => n.sms_state === 'sent'), { timeoutMs: 45_000, intervalMs: 250, description: 'every notice sent after the restart' });
    } finally {
      sink.mode = 'ok';
      await stopSpawned(worker);
      await stopSpawned(doomed, 1000);
    }
    const got = new Set(sink.received.map((m) => m.id));
    const all = await kill();
    expect(all.filter((n) => !got.has(smsMessageId(n.id)))).toEqual([]);
    expect(all).toHaveLength(150);
  });
});

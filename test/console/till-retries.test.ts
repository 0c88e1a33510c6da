/// <reference lib="dom" />
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskName } from '@app/common/mask-name';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { spawnApi, stopSpawned, type Spawned } from '../support/processes';

/**
 * The till's two retry paths not covered by till.test.ts: an answer held past the till's 8 s
 * timeout (the till gives up on that request and asks again with the same key: 正在确认…, sold
 * once), and a basket changed after a refused attempt (a new key, so the new basket is not
 * answered with the old one's result). The built api and console, the demo town, Chromium.
 */
const PASSWORD = 'xinyi-demo-2026';
/** TillPage.vue REDEEM_TIMEOUT_MS. */
const TILL_TIMEOUT_MS = 8_000;

interface Resident {
  id: string;
  name: string;
  cardCode: string;
}

describe('till (browser): a response held past the timeout, a basket changed after a refusal', () => {
  let db: { name: string; url: string };
  let sql: pg.Client;
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let residents: Resident[];
  let shopId: string;
  let clerkToken: string;
  const goods: Record<string, string> = {};
  const pageErrors: string[] = [];

  async function apiCall<T>(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<T> {
    const res = await fetch(`${api.url}/api/v1${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const token = async (username: string) => (await apiCall<{ accessToken: string }>('POST', '/auth/login', {}, { username, password: PASSWORD })).accessToken;
  const one = async <T>(q: string, params: unknown[] = []): Promise<T> => (await sql.query(q, params)).rows[0] as T;
  const balanceOf = async (r: Resident) => (await one<{ balance: number }>(`SELECT balance FROM accounts WHERE resident_id = $1`, [r.id])).balance;
  const stockOf = async (name: string) => (await one<{ stock: number }>(`SELECT stock FROM goods WHERE id = $1`, [goods[name]])).stock;
  const keysOf = async (r: Resident) => (await sql.query(`SELECT idempotency_key AS key FROM redemptions WHERE resident_id = $1 ORDER BY created_at`, [r.id])).rows.map((x) => x.key as string);

  async function makeGoods(name: string, pricePoints: number, stock: number): Promise<void> {
    const g = await apiCall<{ id: string }>('POST', `/shops/${shopId}/goods`, bearer(clerkToken), { name, unit: '件', pricePoints });
    if (stock) await apiCall('POST', `/goods/${g.id}/stock`, bearer(clerkToken), { kind: 'received', quantity: stock, reason: '进货' });
    goods[name] = g.id;
  }
  const tile = (name: string) => page.getByRole('button', { name: new RegExp(`^${name} `) });
  async function serve(r: Resident): Promise<void> {
    const field = page.getByLabel('卡号', { exact: true });
    await field.fill(r.cardCode);
    await field.press('Enter');
    await expect.poll(() => page.getByLabel('村民信息').innerText().catch(() => '')).toContain(maskName(r.name));
  }

  beforeAll(async () => {
    db = await createDemoDatabase(process.env.DATABASE_URL as string);
    api = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: `tillr${Date.now().toString(36)}`, LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '1000' });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    residents = (
      await sql.query(`SELECT r.id, r.name, r.card_code AS "cardCode" FROM residents r JOIN villages v ON v.id = r.village_id WHERE r.status = 'active' AND v.code = 'DC' ORDER BY r.card_code`)
    ).rows;
    shopId = (await one<{ id: string }>(`SELECT id FROM shops WHERE code = 'DC-SHOP'`)).id;
    clerkToken = await token('shop.dongcun');
    await makeGoods('试用香皂', 5, 10);
    await makeGoods('试用牙膏', 8, 10);
    await makeGoods('最后一瓶醋', 3, 1);
    // A terminal made by the town admin; its key is put where pairing puts it (till.test.ts pairs through the page).
    const terminal = await apiCall<{ apiKey: string }>('POST', `/shops/${shopId}/terminals`, bearer(await token('admin')), { name: '收银台 重试' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await context.addInitScript((key) => localStorage.setItem('xinyi.till.apiKey', key), terminal.apiKey);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${api.url}/console/login`);
    await page.getByLabel('用户名').fill('shop.dongcun');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByLabel('卡号', { exact: true }).waitFor();
    await page.locator('.till-head', { hasText: '终端：收银台 重试' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await sql?.end();
    await stopSpawned(api);
    if (db) await dropTestDatabase(process.env.DATABASE_URL as string, db.name);
  });

  it(`an answer held past ${TILL_TIMEOUT_MS / 1000} s: the till asks again with the same key (正在确认…) and sells once`, async () => {
    const r = residents[0];
    const before = await balanceOf(r);
    const keys: string[] = [];
    let firstStatus = 0;
    const at: number[] = [];
    await page.route('**/api/v1/terminal/redemptions', async (route: Route) => {
      keys.push(JSON.parse(route.request().postData() ?? '{}').idempotencyKey);
      at.push(Date.now());
      if (keys.length > 1) return route.continue();
      // The api makes the sale at once; its answer reaches the till only after the till stopped waiting.
      const answer = await route.fetch();
      firstStatus = answer.status();
      await new Promise((resolve) => setTimeout(resolve, TILL_TIMEOUT_MS + 1_500));
      await route.fulfill({ response: answer }).catch(() => undefined); // the till aborted it: nobody listens
    });
    await serve(r);
    await tile('试用香皂').click();
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    // Waiting on the first answer: no retry yet, the basket locked.
    await expect.poll(() => page.getByRole('status').innerText()).toBe('正在兑换…');
    expect(await tile('试用牙膏').isDisabled()).toBe(true);
    await page.getByLabel('兑换成功').waitFor({ timeout: TILL_TIMEOUT_MS + 10_000 });
    await page.unroute('**/api/v1/terminal/redemptions');
    expect(firstStatus).toBe(201);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await keysOf(r)).toEqual([keys[0]]);
    expect([await balanceOf(r), await stockOf('试用香皂')]).toEqual([before - 5, 9]);
    expect(await page.getByLabel('兑换成功').innerText()).toContain(`余额 ${before - 5} 分`);
    // The till waited its full timeout for the first answer before it asked again.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(TILL_TIMEOUT_MS);
    expect(pageErrors).toEqual([]);
  });

  it('shows 正在确认… while it asks again after the timeout', async () => {
    const r = residents[1];
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/terminal/redemptions', async (route: Route) => {
      calls++;
      // The first is never answered (the till times it out); the second waits until the test looked.
      if (calls === 1) return new Promise<void>(() => undefined);
      await gate;
      await route.continue();
    });
    await serve(r);
    await tile('试用牙膏').click();
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await expect.poll(() => page.getByRole('status').innerText(), { timeout: TILL_TIMEOUT_MS + 5_000 }).toBe('正在确认…');
    await expect.poll(() => calls).toBe(2);
    expect(await keysOf(r)).toEqual([]); // the first never reached the api
    release();
    await page.getByLabel('兑换成功').waitFor();
    await page.unroute('**/api/v1/terminal/redemptions');
    expect((await keysOf(r)).length).toBe(1);
  });

  it('a basket changed after a refused attempt gets a new key, and sells what it now holds', async () => {
    const r = residents[2];
    const before = await balanceOf(r);
    const keys: string[] = [];
    await page.route('**/api/v1/terminal/redemptions', async (route: Route) => {
      keys.push(JSON.parse(route.request().postData() ?? '{}').idempotencyKey);
      await route.continue();
    });
    await serve(r);
    await tile('最后一瓶醋').click();
    await tile('试用香皂').click();
    // Another till sells the last bottle meanwhile: this attempt is refused, nothing sold.
    await sql.query(`UPDATE goods SET stock = 0 WHERE id = $1`, [goods['最后一瓶醋']]);
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: '库存不足' }).innerText()).toContain('最后一瓶醋');
    expect(await keysOf(r)).toEqual([]);
    await page.getByRole('button', { name: '移除 最后一瓶醋' }).click();
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await page.getByLabel('兑换成功').waitFor();
    await page.unroute('**/api/v1/terminal/redemptions');
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
    expect(await keysOf(r)).toEqual([keys[1]]);
    expect(await balanceOf(r)).toBe(before - 5);
  });
});

/// <reference lib="dom" />
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import pg from 'pg';
import { PNG } from 'pngjs';
import { chromium, type Browser, type BrowserContext, type Page, type Request, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskName } from '@app/common/mask-name';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { ROOT, spawnApi, stopSpawned, type Spawned } from '../support/processes';

/**
 * The 信义超市 till as a shop clerk uses it: the built api (dist/, serving web/dist at /console/)
 * over a real PostgreSQL and Redis, the demo town seeded by the real CLI, Debian's Chromium,
 * driven by the labels and texts a person sees. The journeys build on each other (pair, then
 * sell, then void what was sold), so they run in order in one file.
 */
const PASSWORD = 'xinyi-demo-2026';
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(ROOT, 'test-results', 'console');
const MM_TO_PT = 72 / 25.4;

interface Resident {
  id: string;
  name: string;
  cardCode: string;
  village: string;
}

describe('till (browser): pair (code and QR), scan, sell, retry after a dropped response, refusals, void, 58/80 mm receipts', () => {
  let db: { name: string; url: string };
  let sql: pg.Client;
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let residents: Resident[];
  let shopId: string;
  let adminToken: string;
  let clerkToken: string;
  const pageErrors: string[] = [];
  /** The till page's api requests not answered yet (the revoke test waits for none). */
  const openRequests = new Set<Request>();
  const goods: Record<string, string> = {};
  const devices: BrowserContext[] = [];

  async function apiCall<T>(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<T> {
    const res = await fetch(`${api.url}/api/v1${path}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const token = async (username: string) => (await apiCall<{ accessToken: string }>('POST', '/auth/login', {}, { username, password: PASSWORD })).accessToken;
  const one = async <T>(q: string, params: unknown[] = []): Promise<T> => (await sql.query(q, params)).rows[0] as T;
  const balanceOf = async (r: Resident) => (await one<{ balance: number } | undefined>(`SELECT balance FROM accounts WHERE resident_id = $1`, [r.id]))?.balance ?? 0;
  const stockOf = async (name: string) => (await one<{ stock: number }>(`SELECT stock FROM goods WHERE id = $1`, [goods[name]])).stock;
  /** Receipts made at the paired till for this resident. */
  const salesOf = async (r: Resident) =>
    (await one<{ n: number }>(`SELECT count(*)::int AS n FROM redemptions x JOIN terminals t ON t.id = x.terminal_id WHERE x.resident_id = $1 AND t.name = '收银台 2'`, [r.id])).n;

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }

  async function signIn(username: string, on: Page = page): Promise<void> {
    await on.context().clearCookies();
    await on.goto(`${api.url}/console/login`);
    await fillLogin(username, on);
  }

  async function fillLogin(username: string, on: Page): Promise<void> {
    await on.getByLabel('用户名').fill(username);
    await on.getByLabel('密码').fill(PASSWORD);
    await on.getByRole('button', { name: '登录' }).click();
    await on.getByRole('button', { name: '退出登录' }).waitFor();
  }

  /** A new browser profile (another device): nothing stored, nobody signed in. */
  async function device(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    devices.push(ctx);
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    return p;
  }

  /** How many times the page called window.print() (stubbed: headless Chromium has no dialog). */
  const printed = () => page.evaluate(() => (window as unknown as { __printed: number }).__printed);

  /**
   * What the page prints now, as Chromium prints it (print media, the page size the till set):
   * one page, `width` mm wide and at least as tall as the sheet, and nothing in the sheet wider
   * than the paper or cut at its edge. `prints` is how many times the page has called print() by
   * then: the till sizes the page in that call (after it has loaded what it prints), so the PDF is
   * taken only once it has happened; before, it would be the previous print's page.
   */
  async function checkRoll(width: 58 | 80, prints: number): Promise<{ height: number }> {
    await expect.poll(printed).toBe(prints);
    const sheet = page.getByTestId('print-sheet');
    const paperPx = (width * 96) / 25.4;
    await expect.poll(() => sheet.evaluate((el) => el.getBoundingClientRect().width)).toBeCloseTo(paperPx, 0);
    const fit = await sheet.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const over = [...el.querySelectorAll('*')].filter((c) => {
        const b = c.getBoundingClientRect();
        return b.right > box.right + 0.5 || b.left < box.left - 0.5 || (c as HTMLElement).scrollWidth > (c as HTMLElement).clientWidth + 1;
      });
      return { width: box.width, height: el.scrollHeight, over: over.map((c) => c.textContent) };
    });
    expect(fit.over).toEqual([]);
    expect(Math.abs(fit.width - paperPx)).toBeLessThan(1);
    const pdf = (await page.pdf({ preferCSSPageSize: true, printBackground: true })).toString('latin1');
    expect([...pdf.matchAll(/\/Type\s*\/Page(?![s\w])/g)].length).toBe(1);
    const [, w, h] = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf) as RegExpExecArray;
    expect(Math.abs(Number(w) - width * MM_TO_PT)).toBeLessThan(1.5);
    // The page is as tall as the sheet (plus its margin): nothing runs onto a second page.
    expect(Number(h)).toBeGreaterThanOrEqual(((fit.height * 25.4) / 96) * MM_TO_PT);
    return fit;
  }

  /** The print sheet as it looks on paper, for the README. */
  async function shotRoll(name: string, width: 58 | 80, height: number): Promise<void> {
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: Math.ceil((width * 96) / 25.4) + 2, height: Math.ceil(height) + 20 });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize({ width: 1366, height: 768 });
  }

  async function makeGoods(name: string, pricePoints: number, stock: number, barcode?: string): Promise<void> {
    const g = await apiCall<{ id: string }>('POST', `/shops/${shopId}/goods`, bearer(clerkToken), { name, unit: '件', pricePoints, ...(barcode ? { barcode } : {}) });
    if (stock) await apiCall('POST', `/goods/${g.id}/stock`, bearer(clerkToken), { kind: 'received', quantity: stock, reason: '进货' });
    goods[name] = g.id;
  }

  async function scanCard(code: string): Promise<void> {
    const field = page.getByLabel('卡号', { exact: true });
    await field.fill(code);
    await field.press('Enter');
  }

  /** Scans a resident's card and waits until the till shows that resident (not the one before). */
  async function serve(r: Resident): Promise<void> {
    await scanCard(r.cardCode);
    await expect.poll(() => page.getByLabel('村民信息').innerText().catch(() => '')).toContain(maskName(r.name));
  }

  /** A tile of the goods grid, by the goods' name. */
  const tile = (name: string) => page.getByRole('button', { name: new RegExp(`^${name} `) });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const base = process.env.DATABASE_URL as string;
    db = await createDemoDatabase(base);
    api = await spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: `till${Date.now().toString(36)}`,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      OBJECTION_RATE_LIMIT_PER_MINUTE: '1000',
    });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    residents = (
      await sql.query(`SELECT r.id, r.name, r.card_code AS "cardCode", v.code AS village FROM residents r JOIN villages v ON v.id = r.village_id WHERE r.status = 'active' ORDER BY v.code, r.card_code`)
    ).rows;
    shopId = (await one<{ id: string }>(`SELECT id FROM shops WHERE code = 'DC-SHOP'`)).id;
    adminToken = await token('admin');
    clerkToken = await token('shop.dongcun');
    await makeGoods('肥皂', 4, 10, '6901234567892');
    await makeGoods('洗衣液', 10, 5);
    await makeGoods('浴巾', 6, 0);
    await makeGoods('火柴', 2, 1);
    await makeGoods('电饭锅', 60, 5);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    // The print dialog cannot be driven headless; page.pdf() prints instead.
    await context.addInitScript(() => {
      const w = window as unknown as { __printed: number };
      w.__printed = 0;
      window.print = () => {
        w.__printed++;
      };
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/')) openRequests.add(r);
    });
    page.on('requestfinished', (r) => openRequests.delete(r));
    page.on('requestfailed', (r) => openRequests.delete(r));
  }, 120_000);

  afterAll(async () => {
    for (const d of devices) await d.close();
    await context?.close();
    await browser?.close();
    await sql?.end();
    await stopSpawned(api);
    if (db) await dropTestDatabase(process.env.DATABASE_URL as string, db.name);
  });

  const dc = (i: number) => residents.filter((r) => r.village === 'DC')[i];

  it('pairs: the town admin makes a one-time code, the clerk types it once, the till says which shop and terminal it is', async () => {
    await signIn('admin');
    // The town admin's home is the dashboard (首页); terminals are in the menu.
    expect(new URL(page.url()).pathname).toBe('/console/admin/dashboard');
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '超市终端' }).click();
    await page.waitForURL(/\/console\/shop\/terminals$/);
    await page.getByLabel('终端名称').fill('收银台 2');
    await page.getByRole('button', { name: '生成配对码' }).click();
    const codeBox = page.getByLabel('配对码');
    await codeBox.waitFor();
    const code = (await codeBox.locator('.code').innerText()).trim();
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await shot('till-terminals');

    await signIn('shop.dongcun');
    expect(new URL(page.url()).pathname).toBe('/console/till');
    const menu = page.getByRole('navigation', { name: '主菜单' });
    expect(await menu.getByRole('menuitem').allInnerTexts()).toEqual(['收银台', '今日兑换', '商品与库存']);
    await page.getByLabel('配对码').fill('ZZZZ-ZZZZ');
    await page.getByRole('button', { name: '配对' }).click();
    await expect.poll(() => page.locator('.el-form-item__error').innerText()).toContain('配对码不正确');
    await shot('till-pair');
    await page.getByLabel('配对码').fill(code.toLowerCase());
    await page.getByRole('button', { name: '配对' }).click();
    await page.getByLabel('卡号', { exact: true }).waitFor();
    // The till asks who it is with the clerk's token: shop, terminal and the signed-in clerk.
    await expect.poll(() => page.locator('.till-head').innerText()).toContain('店员：东村超市店员');
    const head = await page.locator('.till-head').innerText();
    expect(head).toContain('东村信义超市');
    expect(head).toContain('终端：收银台 2');
    const key = await page.evaluate(() => localStorage.getItem('xinyi.till.apiKey'));
    expect(key).toMatch(/^xt_/);
    // The card field has the focus, for the scanner.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('卡号');
  });

  it('pairs a tablet by the QR: its camera opens the till address with the code, the clerk signs in, it pairs; the code leaves the address bar', async () => {
    // The town admin, on their own computer.
    const office = await device();
    await signIn('admin', office);
    // The admin's home is the dashboard; the terminals page is in the menu.
    await office.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '超市终端' }).click();
    await office.getByLabel('终端名称').fill('收银台 3');
    await office.getByRole('button', { name: '生成配对码' }).click();
    const img = office.getByRole('img', { name: /^配对二维码/ });
    await img.waitFor();
    const code = (await office.getByLabel('配对码').locator('.code').innerText()).trim();
    await office.screenshot({ path: join(SHOTS, 'terminals-qr.png') });
    // What a camera reads: the QR as drawn on screen, decoded from a screenshot.
    const png = PNG.sync.read(await img.screenshot());
    const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
    const url = decoded?.data ?? '';
    expect(url).toBe(`${api.url}/console/till?pair=${code}`);

    // The tablet: a new device, nobody signed in. The till asks for the clerk first, then pairs by itself.
    const tablet = await device();
    await tablet.goto(url);
    await expect.poll(() => new URL(tablet.url()).pathname).toBe('/console/login');
    await fillLogin('shop.dongcun', tablet);
    await expect.poll(() => tablet.locator('.till-head').innerText().catch(() => '')).toContain('终端：收银台 3');
    expect(await tablet.locator('.till-head').innerText()).toContain('东村信义超市');
    await tablet.getByLabel('卡号', { exact: true }).waitFor();
    const address = new URL(tablet.url());
    expect([address.pathname, address.search]).toEqual(['/console/till', '']);
    const tabletKey = await tablet.evaluate(() => localStorage.getItem('xinyi.till.apiKey'));
    expect(tabletKey).toMatch(/^xt_/);
    expect(tabletKey).not.toBe(await page.evaluate(() => localStorage.getItem('xinyi.till.apiKey')));
    const [row] = (await sql.query(`SELECT p.used_at IS NOT NULL AS used, t.name FROM terminal_pairings p JOIN terminals t ON t.id = p.terminal_id WHERE t.name = '收银台 3'`)).rows;
    expect(row).toEqual({ used: true, name: '收银台 3' });
    // A reload keeps the pairing and spends nothing.
    await tablet.reload();
    await expect.poll(() => tablet.locator('.till-head').innerText().catch(() => '')).toContain('终端：收银台 3');
    expect((await sql.query(`SELECT count(*)::int AS n FROM terminals WHERE name = '收银台 3'`)).rows[0].n).toBe(1);

    // The same QR on another tablet: the code is spent, and the till says so.
    const second = await device();
    await second.goto(url);
    await fillLogin('shop.dongcun', second);
    await expect.poll(() => second.locator('.el-form-item__error').innerText().catch(() => '')).toContain('配对码已经用过');
    expect(await second.evaluate(() => localStorage.getItem('xinyi.till.apiKey'))).toBeNull();
    expect(new URL(second.url()).search).toBe('');

    // The till paired before (收银台 2) does not spend a code it is shown; it stays what it is.
    await page.goto(url);
    await expect.poll(() => page.locator('.till-head').innerText().catch(() => '')).toContain('本设备已是超市终端');
    await expect.poll(() => page.locator('.till-head').innerText()).toContain('终端：收银台 2');
    expect(new URL(page.url()).search).toBe('');
    await page.getByLabel('卡号', { exact: true }).waitFor();
  });

  it('scans a card (any case, spaces): masked name, village, balance, grade, status; refusals in Chinese', async () => {
    const r = dc(0); // every demo resident opened with 100 points
    await scanCard(` ${r.cardCode.toLowerCase()} `);
    const holder = page.getByLabel('村民信息');
    await holder.waitFor();
    const text = await holder.innerText();
    expect(text).toContain('东村');
    expect(text).toContain('可用积分 100');
    expect(text).toContain('状态 正常');
    const { grade } = await one<{ grade: string }>(`SELECT grade FROM accounts WHERE resident_id = $1`, [r.id]);
    expect(text).toContain(`等级 ${grade}`);
    expect(text).not.toContain(r.name);
    expect(text).toContain(r.name[0]);

    const southern = residents.find((x) => x.village === 'NC') as Resident;
    await scanCard(southern.cardCode);
    await expect.poll(() => page.locator('.card-refused').innerText()).toBe('该村民所在村不由本超市服务，请到本村信义超市兑换');
    const moved = dc(5);
    await sql.query(`UPDATE residents SET status = 'moved' WHERE id = $1`, [moved.id]);
    await scanCard(moved.cardCode);
    await expect.poll(() => page.locator('.card-refused').innerText()).toBe('该村民已迁出，不能兑换');
    await scanCard('NOSUCH99');
    await expect.poll(() => page.locator('.card-refused').innerText()).toContain('查无此卡');
    await shot('till-refused');
  });

  it('sells two goods: a scanned barcode and a tile, quantities, total against balance; balance and stock change; the receipt shows', async () => {
    const r = dc(0);
    await serve(r);
    const search = page.getByLabel('商品搜索');
    // A part of the name narrows the grid.
    await search.fill('洗衣');
    await expect.poll(async () => (await page.locator('.tile-name').allInnerTexts()).every((n) => n.includes('洗衣'))).toBe(true);
    const names = await page.locator('.tile-name').allInnerTexts();
    expect(names).toContain('洗衣液');
    expect(names).not.toContain('肥皂');
    await search.fill('');
    // The scanner types the goods' barcode into the search and presses Enter.
    await search.fill('6901234567892');
    await search.press('Enter');
    await tile('洗衣液').click();
    await page.getByLabel('数量 肥皂').fill('2');
    await page.getByLabel('数量 肥皂').press('Tab');
    await expect.poll(() => page.getByTestId('total').innerText()).toBe('18');
    expect(await tile('浴巾').isDisabled()).toBe(true); // out of stock
    await shot('till-basket');
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    const done = page.getByLabel('兑换成功');
    await done.waitFor();
    expect(await done.innerText()).toContain('余额 82 分');
    expect([await balanceOf(r), await stockOf('肥皂'), await stockOf('洗衣液')]).toEqual([82, 8, 4]);
    expect(await page.getByLabel('村民信息').innerText()).toContain('可用积分 82');
    expect(await page.locator('.line').count()).toBe(0); // basket cleared
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('卡号');
    const row = await one<{ clerk: string; terminal: string }>(
      `SELECT s.username AS clerk, t.name AS terminal FROM redemptions x JOIN staff_users s ON s.id = x.clerk_id JOIN terminals t ON t.id = x.terminal_id WHERE x.resident_id = $1`,
      [r.id],
    );
    expect(row).toEqual({ clerk: 'shop.dongcun', terminal: '收银台 2' });
    await shot('till-receipt');
  });

  it('the receipt prints at 58 mm: one page, 58 mm wide, nothing cut', async () => {
    const before = await printed();
    await page.getByRole('button', { name: '打印小票（58mm）' }).click();
    const fit = await checkRoll(58, before + 1);
    await shotRoll('till-receipt-58mm', 58, fit.height);
  });

  it('the receipt prints at 80 mm: one page, 80 mm wide, nothing cut; the width stays for this device', async () => {
    const before = await printed();
    await page.getByRole('button', { name: '打印（80mm）' }).click();
    const fit = await checkRoll(80, before + 1);
    const text = await page.getByTestId('print-sheet').innerText();
    for (const part of ['东村信义超市', '小票号', '时间', maskName(dc(0).name), '肥皂', '洗衣液', '合计', '18 积分', '兑换后余额', '82 积分', '当天凭小票可撤销']) expect(text).toContain(part);
    expect(text).not.toContain(dc(0).name);
    expect(await page.evaluate(() => localStorage.getItem('xinyi.till.paperMm'))).toBe('80');
    await shotRoll('till-receipt-80mm', 80, fit.height);
  });

  it('a dropped response to 兑换 is retried with the same key (正在确认…) and sells once', async () => {
    const r = dc(1);
    let calls = 0;
    let firstStatus = 0;
    const keys: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/v1/terminal/redemptions', async (route: Route) => {
      calls++;
      keys.push(JSON.parse(route.request().postData() ?? '{}').idempotencyKey);
      if (calls === 1) {
        // The request reaches the api and is processed; its answer never reaches the till.
        firstStatus = (await route.fetch()).status();
        await route.abort('connectionreset');
        return;
      }
      await gate;
      await route.continue();
    });
    await serve(r);
    await tile('洗衣液').click();
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toBe('正在确认…');
    expect(await salesOf(r)).toBe(1); // already sold, once
    await shot('till-confirming');
    release();
    await page.getByLabel('兑换成功').waitFor();
    await page.unroute('**/api/v1/terminal/redemptions');
    expect([calls, firstStatus]).toEqual([2, 201]);
    expect(keys[0]).toBe(keys[1]);
    expect([await salesOf(r), await balanceOf(r), await stockOf('洗衣液')]).toEqual([1, 90, 3]);
    expect(await page.getByLabel('兑换成功').innerText()).toContain('余额 90 分');
    // The next basket has a new key.
    await tile('肥皂').click();
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await expect.poll(async () => salesOf(r)).toBe(2);
    const used = (await sql.query(`SELECT idempotency_key FROM redemptions WHERE resident_id = $1`, [r.id])).rows.map((x) => x.idempotency_key);
    expect(new Set(used).size).toBe(2);
    expect(used).toContain(keys[0]);
  });

  it('insufficient points: the shortfall before 兑换, and the api’s refusal when the balance fell meanwhile; nothing sold', async () => {
    const r = dc(2);
    await serve(r);
    await tile('电饭锅').click();
    await tile('电饭锅').click();
    await expect.poll(() => page.locator('.shortfall').innerText()).toBe('积分不足，还差 20 分');
    expect(await page.getByRole('button', { name: '兑换', exact: true }).isDisabled()).toBe(true);
    await page.getByLabel('数量 电饭锅').fill('1');
    await page.getByLabel('数量 电饭锅').press('Tab');
    await expect.poll(() => page.getByRole('button', { name: '兑换', exact: true }).isDisabled()).toBe(false);
    // Spent elsewhere while the clerk was busy: another terminal takes 60 points.
    const other = await apiCall<{ apiKey: string }>('POST', `/shops/${shopId}/terminals`, bearer(adminToken), { name: '另一台' });
    await apiCall('POST', '/terminal/redemptions', { 'x-api-key': other.apiKey }, { cardCode: r.cardCode, lines: [{ goodsId: goods['电饭锅'], quantity: 1 }], idempotencyKey: `other-${Date.now()}` });
    const before = [await salesOf(r), await stockOf('电饭锅')];
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await expect.poll(() => page.locator('.el-alert__title').innerText()).toBe('积分不足：余额 40 分，需 60 分，未兑换');
    expect([await salesOf(r), await stockOf('电饭锅'), await balanceOf(r)]).toEqual([...before, 40]);
    await shot('till-insufficient');
    await page.getByRole('button', { name: '清空' }).click();
  });

  it('out of stock: a sold-out tile is disabled; the last unit gone meanwhile is refused; nothing sold', async () => {
    const r = dc(3);
    await serve(r);
    expect(await tile('浴巾').innerText()).toContain('缺货');
    await tile('火柴').click();
    await apiCall('POST', `/goods/${goods['火柴']}/stock-count`, bearer(clerkToken), { counted: 0, reason: '盘点发现破损' });
    await page.getByRole('button', { name: '兑换', exact: true }).click();
    await expect.poll(() => page.locator('.el-alert__title').innerText()).toBe('库存不足：火柴 仅剩 0，未兑换');
    expect([await salesOf(r), await balanceOf(r), await stockOf('火柴')]).toEqual([0, 100, 0]);
    await expect.poll(() => tile('火柴').isDisabled()).toBe(true);
    await page.getByRole('button', { name: '清空' }).click();
  });

  it('void the same day with a reason, in two steps: points and stock come back; today’s totals, the day’s print (80 and 58 mm), reprints by row and by receipt number', async () => {
    const r = dc(0);
    const receiptNo = (await one<{ receipt_no: string }>(`SELECT receipt_no FROM redemptions WHERE resident_id = $1`, [r.id])).receipt_no;
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '今日兑换' }).click();
    await page.getByLabel('今日合计').waitFor();
    await shot('till-sales');
    await page.getByLabel(`撤销 ${receiptNo}`).click();
    await page.getByRole('button', { name: '下一步' }).click();
    await expect.poll(() => page.locator('.el-dialog .el-form-item__error').innerText()).toContain('请填写撤销原因');
    await page.getByLabel('撤销原因').fill('顾客退货');
    await page.getByRole('button', { name: '下一步' }).click();
    await expect.poll(() => page.locator('.el-dialog').innerText()).toContain('撤销后退回 18 积分');
    expect(await balanceOf(r)).toBe(82); // nothing yet
    await page.getByRole('button', { name: '确认撤销' }).click();
    await expect.poll(async () => balanceOf(r)).toBe(100);
    expect(await stockOf('肥皂')).toBe(10 - 2 - 1 + 2); // two sold here, one in the next basket, two back
    await expect.poll(() => page.locator('.el-table').innerText()).toContain('已撤销');
    const [{ net }] = (await sql.query(`SELECT (sum(x.total_points) FILTER (WHERE v.redemption_id IS NULL))::int AS net FROM redemptions x LEFT JOIN redemption_voids v ON v.redemption_id = x.id`)).rows;
    await expect.poll(() => page.getByTestId('net-points').innerText()).toBe(String(net));
    // The day's reconciliation prints on one roll page too, at the width last printed here (80 mm), on the first click.
    const before = await printed();
    await page.getByRole('button', { name: '日结对账打印' }).click();
    await expect.poll(() => page.getByTestId('print-sheet').innerText()).toContain(`镇应付超市`);
    expect(await page.getByTestId('print-sheet').innerText()).toContain(`${net} 积分`);
    await checkRoll(80, before + 1);
    await page.getByLabel('小票纸宽').getByText('58mm').click();
    // A slow network: the sheet is 58 mm wide at once, but the page is sized only when the
    // reconciliation has come back and print() runs; the PDF must be that print, not the last one.
    await page.route('**/api/v1/terminal/reconciliation*', async (route: Route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    await page.getByRole('button', { name: '日结对账打印' }).click();
    const day58 = await checkRoll(58, before + 2);
    await page.unroute('**/api/v1/terminal/reconciliation*');
    await shotRoll('till-day-58mm', 58, day58.height);
    // Reprint of the voided receipt says so.
    await page.getByLabel(`补打 ${receiptNo}`).click();
    await expect.poll(() => page.getByTestId('print-sheet').innerText()).toContain('已撤销');
    // The receipt lookup: a receipt number typed (any case) reprints that receipt, marked 补打.
    const other = (await one<{ receipt_no: string }>(`SELECT receipt_no FROM redemptions WHERE resident_id = $1 ORDER BY created_at DESC LIMIT 1`, [dc(1).id])).receipt_no;
    await page.getByLabel('小票号').fill(other.toLowerCase());
    await page.getByLabel('小票号').press('Enter');
    await expect.poll(() => page.getByTestId('print-sheet').innerText()).toContain(other);
    expect(await page.getByTestId('print-sheet').innerText()).toContain('（补打）');
    await checkRoll(58, before + 4);
  });

  it('goods and stock: add goods with a barcode, stock in, a price change, a count correction with its reason, the low-stock list', async () => {
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '商品与库存' }).click();
    await page.getByRole('button', { name: '新增商品' }).click();
    await page.getByLabel('商品名称').fill('酱油');
    await page.getByLabel('单位').fill('瓶');
    await page.getByLabel('积分价格').fill('8');
    await page.getByLabel('条码').fill('6901234567892');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => page.locator('.el-dialog .el-form-item__error').innerText()).toContain('相同条码');
    await page.getByLabel('条码').fill('6900000000018');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => page.locator('.el-table').innerText()).toContain('6900000000018');
    const soy = (await one<{ id: string }>(`SELECT id FROM goods WHERE barcode = '6900000000018'`)).id;
    await page.getByLabel('入库 酱油').click();
    await page.getByLabel('入库数量').fill('12');
    await page.getByLabel('原因').fill('进货');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(async () => (await one<{ stock: number }>(`SELECT stock FROM goods WHERE id = $1`, [soy])).stock).toBe(12);
    await page.getByLabel('修改 酱油').click();
    await page.getByLabel('积分价格').fill('9');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(async () => (await one<{ price_points: number }>(`SELECT price_points FROM goods WHERE id = $1`, [soy])).price_points).toBe(9);
    await page.getByLabel('盘点 洗衣液').click();
    await page.getByLabel('盘点实数').fill('2');
    await page.getByLabel('原因').fill('月末盘点');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(async () => stockOf('洗衣液')).toBe(2);
    const move = await one<{ quantity: number; reason: string }>(`SELECT quantity, reason FROM stock_movements WHERE goods_id = $1 AND kind = 'counted'`, [goods['洗衣液']]);
    expect(move).toEqual({ quantity: -2, reason: '月末盘点' }); // 5 − 1 − 1 sold + 1 voided = 4 on the books
    await page.getByText('只看低库存').click();
    // The list reloads: 肥皂 (8 in stock) goes, 洗衣液 (2) stays.
    await expect.poll(() => page.locator('.el-table').innerText()).not.toContain('肥皂');
    expect(await page.locator('.el-table').innerText()).toContain('洗衣液');
    await shot('till-goods');
  });

  it('timings: scan to basket ready and 兑换 to receipt shown, p95 over 20 sales (written to till-timings.json)', async () => {
    await makeGoods('计时皂', 1, 100, '6909999999994');
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '收银台' }).click();
    await page.getByLabel('卡号', { exact: true }).waitFor();
    await page.reload();
    await expect.poll(() => tile('计时皂').isVisible()).toBe(true);
    /** Milliseconds from the Enter (or the click) to the change on screen, measured in the page. */
    const timed = (action: 'scan' | 'barcode' | 'redeem', ...expected: string[]) =>
      page.evaluate(
        ({ action, expected }) =>
          new Promise<number>((resolve) => {
            const target = { scan: '[aria-label="村民信息"]', barcode: '.line', redeem: '[aria-label="兑换成功"]' }[action];
            const seen = () => [...document.querySelectorAll(target)].some((el) => expected.every((x) => (el.textContent ?? '').includes(x)));
            const t0 = performance.now();
            const obs = new MutationObserver(() => {
              if (seen()) {
                obs.disconnect();
                resolve(performance.now() - t0);
              }
            });
            obs.observe(document.body, { subtree: true, childList: true, characterData: true });
            if (action === 'redeem') (document.querySelector('.actions .el-button--primary') as HTMLButtonElement).click();
            else {
              const input = document.querySelector(action === 'scan' ? 'input[aria-label="卡号"]' : 'input[aria-label="商品搜索"]') as HTMLInputElement;
              input.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter', code: 'Enter', bubbles: true }));
            }
          }),
        { action, expected },
      );
    const scans: number[] = [];
    const sales: number[] = [];
    const people = residents.filter((r) => r.village === 'XC').slice(0, 20);
    for (const r of people) {
      await page.getByLabel('卡号', { exact: true }).fill(r.cardCode);
      // The masked name and the balance before the sale: the customer before may share the masked name, never the balance (99 after).
      const scan = await timed('scan', maskName(r.name), '可用积分 100');
      await page.getByLabel('商品搜索').fill('6909999999994');
      scans.push(scan + (await timed('barcode', '计时皂')));
      sales.push(await timed('redeem', '余额 99 分'));
    }
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1];
    const result = { samples: people.length, scanToBasketP95Ms: Math.round(p95(scans)), redeemToReceiptP95Ms: Math.round(p95(sales)), load: readFileSync('/proc/loadavg', 'utf8').trim() };
    writeFileSync(join(SHOTS, 'till-timings.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`till timings: ${JSON.stringify(result)}`);
    // Every timed sale happened, once each.
    const sold = await one<{ n: number }>(`SELECT count(*)::int AS n FROM redemptions WHERE resident_id = ANY($1::uuid[])`, [people.map((r) => r.id)]);
    expect(sold.n).toBe(people.length);
    expect(await stockOf('计时皂')).toBe(100 - people.length);
  });

  it('revoking the terminal stops the till at once: it asks to pair again', async () => {
    const [t] = (await sql.query(`SELECT id FROM terminals WHERE name = '收银台 2'`)).rows;
    // The last sale left a goods reload behind it (TillPage's done, after paint). Reaching the api
    // after the revoke, it would meet the revocation first and the card field below would be gone
    // (seen once in CI): the till is left to finish what it asked, 300 ms with nothing open.
    await expect
      .poll(async () => {
        if (openRequests.size) return false;
        await page.waitForTimeout(300);
        return openRequests.size === 0;
      }, { timeout: 15_000 })
      .toBe(true);
    await apiCall('POST', `/terminals/${t.id}/revoke`, bearer(adminToken));
    // The next thing the till asks (here: a card) is refused, and it asks to pair again.
    await page.getByLabel('卡号', { exact: true }).fill(dc(0).cardCode);
    await page.getByLabel('卡号', { exact: true }).press('Enter');
    await expect.poll(() => page.locator('.pairing').innerText()).toContain('本终端已被吊销');
    expect(await page.evaluate(() => localStorage.getItem('xinyi.till.apiKey'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { ROOT, spawnApi, spawnBuilt, stopSpawned, tail, type Spawned } from '../support/processes';
import { shanghaiDate } from '@app/common/time';

/**
 * The town admin's 首页, 评议周期 and 信用报送 pages in Chromium against the built api over a real
 * PostgreSQL and Redis, the demo town seeded by the real CLI, the month made through the api as
 * its staff would (entries, close, meeting, decisions, publish, an objection, finalize-due). The
 * journeys build on each other, in order, in one file.
 */
const PASSWORD = 'xinyi-demo-2026';
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(ROOT, 'test-results', 'console');
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });
const PLATFORM_ANSWER = 'platform answered 422: {"code":"ID_MISMATCH","message":"身份证号校验失败"}';

function shanghaiMonth(monthsBack = 0): string {
  const d = new Date(Date.now() + 8 * 3600_000);
  const idx = d.getUTCFullYear() * 12 + d.getUTCMonth() - monthsBack;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
}
const label = (period: string) => `${period.slice(0, 4)}年${Number(period.slice(5))}月`;

interface Village {
  id: string;
  code: string;
  name: string;
}
interface DashboardVillage {
  villageId: string;
  villageName: string;
  state: string | null;
  entries: number;
  openObjections: number;
  overdueObjections: number;
  exportPending: number;
}
interface Dashboard {
  villages: DashboardVillage[];
  totals: Record<string, number>;
}

describe('town admin console (browser): dashboard, cycles, credit export', () => {
  let db: { name: string; url: string };
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let dc: Village;
  let residents: Array<{ id: string; name: string }>;
  let admin: string;
  let clerk: string;
  let reviewer: string;
  const current = shanghaiMonth(0);
  const last = shanghaiMonth(1);
  const pageErrors: string[] = [];

  async function apiCall<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
    const res = await fetch(`${api.url}/api/v1${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
  const token = async (username: string) => (await apiCall<{ accessToken: string }>('POST', '/auth/login', null, { username, password: PASSWORD })).accessToken;
  const dashboard = (period: string) => apiCall<Dashboard>('GET', `/towns/current/dashboard?period=${period}`, admin);
  const cycleState = async (period: string) => (await apiCall<{ villages: Array<{ villageId: string; state: string | null }> }>('GET', `/towns/current/boards-overview?period=${period}`, admin)).villages.find((v) => v.villageId === dc.id)?.state;

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }

  async function signInAsAdmin(): Promise<void> {
    await context.clearCookies();
    await page.goto(`${api.url}/console/login`);
    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
  }

  /** The cell texts of the table row whose first cell is `first`. */
  async function rowCells(tableLabel: string, first: string): Promise<string[]> {
    const row = page.getByLabel(tableLabel).locator('.el-table__body tr').filter({ has: page.locator('td:first-child', { hasText: first }) }).first();
    return (await row.locator('td').allInnerTexts()).map((s) => s.trim());
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const base = process.env.DATABASE_URL as string;
    db = await createDemoDatabase(base);
    api = await spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: `admindash${Date.now().toString(36)}`,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      OBJECTION_RATE_LIMIT_PER_MINUTE: '1000',
      BOARD_CACHE_MS: '0',
    });
    admin = await token('admin');
    clerk = await token('clerk.dongcun');
    reviewer = await token('reviewer.dongcun');
    dc = (await apiCall<Village[]>('GET', '/villages', admin)).find((v) => v.code === 'DC')!;
    residents = (await apiCall<{ items: Array<{ id: string; name: string }> }>('GET', `/villages/${dc.id}/residents?limit=10`, admin)).items;
    // Last month (still open: no worker closes it here): two deeds dated its first day. This month: three.
    for (const r of residents.slice(0, 2)) await apiCall('POST', `/villages/${dc.id}/entries`, clerk, { residentId: r.id, itemCode: 'T10', occurredOn: `${last}-01` });
    for (const r of residents.slice(2, 5)) await apiCall('POST', `/villages/${dc.id}/entries`, clerk, { residentId: r.id, itemCode: 'B02', occurredOn: shanghaiDate() });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await page.screenshot({ path: join(SHOTS, `failed-${task.name.slice(0, 30).replace(/[^\w\u4e00-\u9fff]+/g, '-')}.png`) });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stopSpawned(api);
    if (db) await dropTestDatabase(process.env.DATABASE_URL as string, db.name);
  });

  it('the cycles page closes a month early and reopens it with a reason, confirmed in two steps', async () => {
    await signInAsAdmin();
    // The dashboard is the town admin's home and first menu item.
    await page.waitForURL(/\/console\/admin\/dashboard/);
    expect(await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem').first().innerText()).toBe('首页');
    await page.getByRole('menuitem', { name: '评议周期' }).click();
    const cell = page.getByRole('button', { name: `${dc.name}${label(last)}` });
    await poll(() => cell.innerText()).toBe('开放录入');
    await cell.click();
    const dialog = page.getByRole('dialog', { name: `${dc.name} · ${label(last)}` });
    await dialog.getByRole('button', { name: '提前关账' }).click();
    await page.getByRole('button', { name: '确认关账' }).click();
    await poll(() => dialog.locator('.el-descriptions').innerText()).toMatch(/状态\s*已关账/);
    expect(await cycleState(last)).toBe('closed');
    await poll(() => cell.innerText()).toBe('已关账');

    await dialog.getByRole('button', { name: '重开周期' }).click();
    await dialog.getByRole('button', { name: '下一步' }).click();
    // An empty reason is refused next to its field, before anything is sent.
    await poll(() => dialog.locator('.el-form-item__error').innerText()).toContain('请填写重开原因');
    await dialog.getByLabel('重开原因').fill('漏录了两户的志愿服务记录');
    await dialog.getByRole('button', { name: '下一步' }).click();
    await poll(() => dialog.innerText()).toContain(`确认重开${dc.name}${label(last)}？`);
    expect(await cycleState(last)).toBe('closed');
    await dialog.getByRole('button', { name: '确认重开' }).click();
    await poll(() => cell.innerText()).toBe('开放录入');
    expect(await cycleState(last)).toBe('open');
    // This month has not ended: no early close offered.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: `${dc.name}${label(current)}` }).click();
    const now = page.getByRole('dialog', { name: `${dc.name} · ${label(current)}` });
    await poll(() => now.innerText()).toContain('本月尚未结束');
    expect(await now.getByRole('button', { name: '提前关账' }).count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('the dashboard shows the numbers the api gives for the month, and a village opens its cycles', async () => {
    // Last month to its board: close, meeting, decisions, publish; one objection filed on the board.
    await apiCall('POST', `/villages/${dc.id}/cycles/${last}/close`, admin);
    await apiCall('POST', `/villages/${dc.id}/cycles/${last}/meeting`, reviewer, { heldOn: shanghaiDate(), attendees: ['王书记', '李主任'], minutes: '逐条评议' });
    const sheet = await apiCall<{ entries: Array<{ id: string; status: string }> }>('GET', `/villages/${dc.id}/cycles/${last}`, reviewer);
    await apiCall('POST', `/villages/${dc.id}/cycles/${last}/decisions`, reviewer, { decisions: sheet.entries.map((e) => ({ entryId: e.id, decision: 'approve' })) });
    await apiCall('POST', `/villages/${dc.id}/cycles/${last}/publish`, reviewer);
    await apiCall('POST', `/public/boards/${dc.id}/${last}/objections`, null, { entryId: sheet.entries[0].id, name: '张三', contact: '13800000000', reason: '没有此事' });

    const want = await dashboard(last);
    const dcWant = want.villages.find((v) => v.villageId === dc.id)!;
    // What was seeded: two entries, publicized, one open objection (not yet overdue).
    expect(dcWant).toMatchObject({ state: 'publicized', entries: 2, openObjections: 1, overdueObjections: 0 });

    await page.goto(`${api.url}/console/admin/dashboard?period=${last}`);
    await page.getByRole('heading', { name: `首页 · ${label(last)}` }).waitFor();
    for (const v of want.villages) {
      await poll(() => rowCells('各村本期进度', v.villageName)).toEqual(
        expect.arrayContaining([v.state ? { publicized: '公示中', open: '开放录入', closed: '已关账', reviewed: '已评议', finalized: '已入账' }[v.state] : '未开始']),
      );
      const cells = await rowCells('各村本期进度', v.villageName);
      // 村, 状态, 本期录入, 其中补录, 关账, 公示, 未答复异议, 逾期异议, 待报, 失败
      expect([cells[2], cells[6], cells[7], cells[8]].map(Number)).toEqual([v.entries, v.openObjections, v.overdueObjections, v.exportPending]);
    }
    const card = (name: string) => page.getByLabel('本期概况').getByLabel(name, { exact: true }).locator('.num').innerText();
    expect(Number(await card('本期录入'))).toBe(want.totals.entries);
    expect(Number(await card('未答复异议'))).toBe(want.totals.openObjections);
    expect(Number(await card('逾期异议'))).toBe(want.totals.overdueObjections);

    // This month: the three deeds entered today.
    await page.goto(`${api.url}/console/admin/dashboard?period=${current}`);
    await page.getByRole('heading', { name: `首页 · ${label(current)}` }).waitFor();
    const now = await dashboard(current);
    expect(now.villages.find((v) => v.villageId === dc.id)!.entries).toBe(3);
    await poll(async () => Number((await rowCells('各村本期进度', dc.name))[2])).toBe(3);
    expect(Number(await card('本期录入'))).toBe(now.totals.entries);
    // The charts load after the table, in their own chunk.
    await page.getByLabel('热门事项').locator('canvas').waitFor();
    await page.getByLabel('等级分布').locator('canvas').waitFor();

    // A bad month in the address: the message in Chinese next to the field, the page still there.
    await page.goto(`${api.url}/console/admin/dashboard?period=2026-13`);
    await poll(() => page.locator('.el-form-item').filter({ hasText: '期间' }).locator('.el-form-item__error').innerText()).toMatch(/^期间（period）不正确/);

    await page.goto(`${api.url}/console/admin/dashboard?period=${last}`);
    await page.getByRole('button', { name: dc.name, exact: true }).click();
    await page.waitForURL(new RegExp(`/console/admin/cycles\\?village=${dc.id}`));
    const firstRow = page.getByLabel('各村各月周期').locator('.el-table__body tr').first();
    await poll(() => firstRow.locator('td').first().innerText()).toBe(dc.name);
    await poll(() => page.getByRole('button', { name: `${dc.name}${label(last)}` }).innerText()).toBe('公示中');
    await shot('admin-cycles');
  });

  it('the credit export page shows a failed row with the platform’s answer, and retry puts it back', async () => {
    // The month to its end (test deployments only): the window ends, finalize posts and fills the outbox.
    const run = spawnBuilt('database/cli', ['finalize-due', '--as-of', new Date(Date.now() + 30 * 86_400_000).toISOString()], {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    });
    const { code } = await run.exited;
    expect(code, tail(run.output())).toBe(0);
    // The platform refused one record ten times (what the export job leaves after its last attempt).
    const { Client } = await import('pg');
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rowCount } = await pg.query(
        `UPDATE credit_outbox SET status = 'failed', attempts = 10, last_error = $1 WHERE id = (SELECT min(id) FROM credit_outbox WHERE period = $2)`,
        [PLATFORM_ANSWER, last],
      );
      expect(rowCount).toBe(1);
    } finally {
      await pg.end();
    }
    const months = await apiCall<Array<{ period: string; pending: number; failed: number }>>('GET', '/credit-export/months', admin);
    const month = months.find((m) => m.period === last)!;
    expect(month.failed).toBe(1);

    await page.getByRole('menuitem', { name: '信用报送' }).click();
    const failedRow = await (async () => {
      await poll(() => rowCells('报送失败的记录', label(last))).toEqual(expect.arrayContaining([PLATFORM_ANSWER]));
      return rowCells('报送失败的记录', label(last));
    })();
    expect(failedRow).toEqual(expect.arrayContaining([dc.name, '10']));
    await poll(() => rowCells('各月报送状态', label(last))).toEqual([label(last), '0', String(month.pending), '1', '—', PLATFORM_ANSWER]);
    await shot('admin-credit-export');

    await page.getByRole('button', { name: '重新报送' }).click();
    await page.getByRole('dialog', { name: '重新报送' }).getByRole('button', { name: '重新报送' }).click();
    await poll(() => page.getByLabel('报送失败的记录').innerText()).toContain('没有报送失败的记录');
    await poll(() => rowCells('各月报送状态', label(last))).toEqual([label(last), '0', String(month.pending + 1), '0', '—', PLATFORM_ANSWER]);
    const after = (await apiCall<Array<{ period: string; pending: number; failed: number }>>('GET', '/credit-export/months', admin)).find((m) => m.period === last)!;
    expect(after).toMatchObject({ failed: 0, pending: month.pending + 1 });

    // Last month finalized: the dashboard now has its posted points to chart (the README's screenshot).
    await page.goto(`${api.url}/console/admin/dashboard?period=${last}`);
    await poll(async () => (await rowCells('各村本期进度', dc.name))[1]).toBe('已入账');
    await page.getByLabel('各村加减分').locator('canvas').waitFor();
    await page.getByLabel('等级分布').locator('canvas').waitFor();
    // Tall enough for every chart (the console scrolls inside its main pane, so fullPage would not).
    await page.setViewportSize({ width: 1366, height: 1500 });
    await page.getByLabel('各超市兑换').waitFor();
    await page.screenshot({ path: join(SHOTS, 'admin-dashboard.png') });
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  it('the queue dashboard opens for the signed-in admin without a token in its address', async () => {
    await page.getByRole('menuitem', { name: '评议周期' }).click();
    const [popup] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: '任务队列面板（只读）' }).click()]);
    await popup.waitForURL(/\/admin\/queues/);
    expect(popup.url()).not.toMatch(/token=/);
    await poll(async () => (await popup.request.get(`${api.url}/admin/queues/api/queues`)).status()).toBe(200);
    const cookies = await context.cookies(`${api.url}/admin/queues`);
    expect(cookies.find((c) => c.name === 'xinyi_queues_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/queues' });
    await popup.close();
    expect(pageErrors).toEqual([]);
  });
});

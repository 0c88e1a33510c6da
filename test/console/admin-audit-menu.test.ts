import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { ROOT, spawnApi, stopSpawned, type Spawned } from '../support/processes';

/**
 * The town admin reaches the auditors' desk from their own menu (the api lets them read every
 * auditors' query): under 审计查询, postings search, statements, audit log, verification and
 * timeliness open and show what the api answers for the demo town. The built api over a real
 * PostgreSQL and Redis, Debian's Chromium driven by labels and texts.
 */
const PASSWORD = 'xinyi-demo-2026';
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(ROOT, 'test-results', 'console');
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

interface Resident {
  id: string;
  name: string;
  cardCode: string;
}

describe('staff console (browser): the town admin opens the audit pages from the menu', () => {
  let db: { name: string; url: string };
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: string;
  let resident: Resident;
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
  const nav = () => page.getByRole('navigation', { name: '主菜单' });
  const table = (label: string) => page.getByLabel(label, { exact: true });
  const rows = (t: Locator) => t.locator('.el-table__body tbody tr');
  /** Opens a page of the 审计查询 group from the side menu, as a person would. */
  async function open(title: string, heading = title): Promise<void> {
    const item = nav().getByRole('menuitem', { name: title, exact: true });
    if (!(await item.isVisible())) await nav().getByText('审计查询', { exact: true }).click();
    await item.click();
    await page.getByRole('heading', { name: heading }).first().waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    db = await createDemoDatabase(process.env.DATABASE_URL as string);
    api = await spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: `adminaudit${Date.now().toString(36)}`,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    });
    admin = (await apiCall<{ accessToken: string }>('POST', '/auth/login', null, { username: 'admin', password: PASSWORD })).accessToken;
    const villages = await apiCall<Array<{ id: string; code: string }>>('GET', '/villages', admin);
    const dc = villages.find((v) => v.code === 'DC')!;
    [resident] = (await apiCall<{ items: Resident[] }>('GET', `/villages/${dc.id}/residents?limit=1`, admin)).items;

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 180_000);

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await page.screenshot({ path: join(SHOTS, `failed-admin-audit-${task.name.slice(0, 30).replace(/[^\w\u4e00-\u9fff]+/g, '-')}.png`) });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stopSpawned(api);
    if (db) await dropTestDatabase(process.env.DATABASE_URL as string, db.name);
  });

  it('signs in to the office; 审计查询 in the menu folds the five audit pages', async () => {
    await page.goto(`${api.url}/console/login`);
    await page.getByLabel('用户名').fill('admin');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/admin/dashboard');
    await nav().getByText('审计查询', { exact: true }).click();
    const group = nav().locator('.el-sub-menu').filter({ hasText: '审计查询' }).getByRole('menuitem');
    await poll(() => group.allInnerTexts()).toEqual(['记账明细', '村民对账单', '操作日志', '账本校验', '评议时效']);
    // The office's own items are still there, 首页 first.
    expect((await nav().getByRole('menuitem').allInnerTexts())[0]).toBe('首页');
  });

  it('postings search: the rows the api gives the town admin', async () => {
    await open('记账明细', '记账明细查询');
    await page.getByRole('button', { name: '查询' }).click();
    const postings = table('记账明细');
    const want = await apiCall<{ items: unknown[] }>('GET', '/audit/postings?limit=50', admin);
    expect(want.items.length).toBeGreaterThan(0);
    await poll(() => rows(postings).count()).toBe(want.items.length);
  });

  it('statement: a resident found by name, with the balance the api gives', async () => {
    await open('村民对账单');
    const box = page.getByRole('combobox', { name: '村民', exact: true });
    await box.click();
    await box.pressSequentially(resident.name);
    await page.getByRole('option').filter({ hasText: resident.cardCode }).first().click();
    const statement = await apiCall<{ currentBalance: number }>('GET', `/audit/residents/${resident.id}/statement`, admin);
    await poll(() => page.getByLabel('对账单概要').innerText()).toContain(`当前余额 ${statement.currentBalance}`);
  });

  it('audit log: the admin’s own sign-in, in words', async () => {
    await open('操作日志');
    await page.getByRole('button', { name: '查询' }).click();
    const log = table('操作日志');
    await poll(() => rows(log).count()).toBeGreaterThan(0);
    expect(await log.innerText()).toContain('admin');
  });

  it('verification runs and says the ledger is whole', async () => {
    await open('账本校验');
    await page.getByRole('button', { name: '开始校验' }).click();
    await poll(() => page.getByRole('status', { name: '校验结果' }).innerText()).toContain('校验通过');
  });

  it('timeliness opens; after a reload the group stays open on the page shown', async () => {
    await open('评议时效');
    await page.getByLabel('各村评议时效', { exact: true }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: '评议时效' }).first().waitFor();
    await poll(() => nav().getByRole('menuitem', { name: '评议时效', exact: true }).isVisible()).toBe(true);
    expect(await nav().locator('.el-menu-item.is-active').innerText()).toBe('评议时效');
    await page.screenshot({ path: join(SHOTS, 'admin-audit-menu.png'), fullPage: false });
    expect(pageErrors).toEqual([]);
  });
});

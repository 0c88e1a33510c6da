import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoResidents } from '@app/database/demo-seed';
import { launchChromium } from '../support/browser';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { ROOT, spawnApi, stopSpawned, type Spawned } from '../support/processes';
import { shanghaiDate } from '@app/common/time';

/**
 * The town admin's office in the console (issue 17), driven in Chromium against the built api
 * over a real PostgreSQL and Redis with the demo town: roster preview then import, a household's
 * total, a staff user created, signed in elsewhere and deactivated, the year's holidays from the
 * official calendar, a village item created and retired. One file, journeys in order.
 */
const PASSWORD = 'xinyi-demo-2026';
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(ROOT, 'test-results', 'console');
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });

interface Village {
  id: string;
  code: string;
}
interface Household {
  id: string;
  code: string;
  residentCount: number;
}

describe('staff console (browser): the town admin’s office', () => {
  let db: { name: string; url: string };
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: string;
  let dc: Village;
  const pageErrors: string[] = [];
  const year = Number(shanghaiDate().slice(0, 4));

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
  const token = async (username: string, password = PASSWORD) => (await apiCall<{ accessToken: string }>('POST', '/auth/login', null, { username, password })).accessToken;
  /** After dialogs have closed and Element Plus's transitions (≈ 300 ms) have run, for a still picture. */
  async function shot(name: string): Promise<void> {
    await poll(() => page.locator('.el-overlay:visible').count()).toBe(0);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }
  const menu = (p: Page) => p.getByRole('navigation', { name: '主菜单' });

  async function signIn(p: Page, username: string, password = PASSWORD): Promise<void> {
    await p.goto(`${api.url}/console/login`);
    await p.getByLabel('用户名').fill(username);
    await p.getByLabel('密码').fill(password);
    await p.getByRole('button', { name: '登录', exact: true }).click();
    await p.getByRole('button', { name: '退出登录' }).waitFor();
  }

  /** An Element Plus select by its aria-label: open it and pick the option with this text. */
  async function pick(label: string, option: string, p: Page = page): Promise<void> {
    // The placeholder covers the (read-only) input of a non-filterable select: click the select.
    await p.locator('.el-select').filter({ has: p.getByRole('combobox', { name: label, exact: true }) }).click();
    await p.locator('.el-select-dropdown:visible').getByText(option, { exact: true }).click();
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const base = process.env.DATABASE_URL as string;
    db = await createDemoDatabase(base);
    api = await spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: `office${Date.now().toString(36)}`,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    });
    admin = await token('admin');
    dc = (await apiCall<Village[]>('GET', '/villages', admin)).find((v) => v.code === 'DC')!;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await page.screenshot({ path: join(SHOTS, `failed-office-${task.name.slice(0, 30).replace(/[^\w\u4e00-\u9fff]+/g, '-')}.png`) });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stopSpawned(api);
    if (db) await dropTestDatabase(process.env.DATABASE_URL as string, db.name);
  });

  it('the town admin signs in to the office menu', async () => {
    await signIn(page, 'admin');
    const items = await menu(page).getByRole('menuitem').allInnerTexts();
    for (const title of ['村与村民', '工作人员', '积分目录', '本镇设置', '节假日与调休', '超市终端']) expect(items).toContain(title);
  });

  it('roster: the preview shows new, changed and moved people and writes nothing; 确认导入 applies it', async () => {
    const [seeded, moved] = demoResidents('DC', 0) as [ReturnType<typeof demoResidents>[number], ReturnType<typeof demoResidents>[number]];
    const [fresh1, fresh2] = demoResidents('DC', 9);
    const line = (household: string, p: { name: string; gender: string; birthYear: number; nationalId: string }, phone = '') =>
      `${household},${p.name},${p.gender === 'M' ? '男' : '女'},${p.birthYear},${p.nationalId},${phone},`;
    const csv = ['户号,姓名,性别,出生年份,身份证号,手机号,卡号', line(seeded.householdCode, seeded, '13900001111'), line('DC-003', moved), line('DC-001', fresh1!), line('DC-NEW', fresh2!)].join('\r\n');
    const file = join(tmpdir(), `office-roster-${process.pid}.csv`);
    writeFileSync(file, csv, 'utf8');
    const count = async () => (await apiCall<{ total: number }>('GET', `/villages/${dc.id}/residents?limit=1`, admin)).total;
    const before = await count();
    expect(moved.householdCode).not.toBe('DC-003');

    await menu(page).getByRole('menuitem', { name: '村与村民' }).click();
    await page.getByRole('button', { name: '导入名册…' }).click();
    await page.getByLabel('名册文件').setInputFiles(file);
    const preview = page.getByLabel('导入预览');
    await preview.waitFor();
    await poll(() => preview.getByRole('status').innerText()).toMatch(/新登记\s*2[\s\S]*更新\s*2[\s\S]*其中换户\s*1/);
    const fresh = preview.getByLabel('新登记', { exact: true });
    await poll(() => fresh.innerText()).toContain(fresh1!.name);
    expect(await fresh.innerText()).toContain('新户');
    const changed = await preview.getByLabel('更新在册村民').innerText();
    expect(changed).toContain('手机号');
    expect(changed).toContain('13900001111');
    expect(changed).toContain('换户');
    expect(await count()).toBe(before);
    await shot('admin-roster-preview');

    await page.getByRole('button', { name: '确认导入' }).click();
    await poll(() => page.getByRole('status').filter({ hasText: '已导入' }).innerText()).toContain('新登记 2 人，更新 2 人（其中换户 1 人），新建 1 户');
    expect(await count()).toBe(before + 2);
  });

  it('household page: each member’s balance and grade from the ledger; the total is their sum', async () => {
    const households = await apiCall<Household[]>('GET', `/villages/${dc.id}/households`, admin);
    const dc001 = households.find((h) => h.code === 'DC-001')!;
    await menu(page).getByRole('menuitem', { name: '村与村民' }).click();
    await page.getByRole('link', { name: 'DC-001', exact: true }).click();
    const table = page.getByLabel('户成员');
    await poll(() => table.locator('.el-table__body tbody tr').count()).toBe(dc001.residentCount);
    const balances = (await table.locator('.el-table__body tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelectorAll('td')[4]?.textContent?.trim() ?? ''))).map(Number);
    const total = Number((await page.getByLabel('全户可用积分').locator('.el-statistic__content').innerText()).replace(/[,\s]/g, ''));
    expect(total).toBe(balances.reduce((a, b) => a + b, 0));
    // The new member has no posting yet (0); the others carry the demo opening balance.
    expect(balances).toContain(0);
    expect(new Set(balances).size).toBeGreaterThan(1);
    // Each balance is what the member's own statement (the ledger) says.
    const detail = await apiCall<{ members: Array<{ id: string; balance: number }> }>('GET', `/households/${dc001.id}`, admin);
    for (const m of detail.members) {
      const st = await apiCall<{ currentBalance: number }>('GET', `/residents/${m.id}/statement`, admin);
      expect(m.balance).toBe(st.currentBalance);
    }
    expect(total).toBe(detail.members.reduce((a, m) => a + m.balance, 0));
    await shot('admin-household');
  });

  it('staff: created with role and scope, signed in elsewhere, deactivated → that console session ends', async () => {
    await menu(page).getByRole('menuitem', { name: '工作人员' }).click();
    await page.getByRole('button', { name: '新建工作人员' }).click();
    const dialog = page.getByRole('dialog', { name: '新建工作人员' });
    await dialog.getByRole('button', { name: '创建' }).click();
    await poll(() => dialog.locator('.el-form-item__error').first().innerText()).toContain('用户名');
    await dialog.getByLabel('用户名').fill('dongcun.helper');
    await dialog.getByLabel('姓名', { exact: true }).fill('东村帮办');
    await dialog.getByLabel('初始密码').fill('helper-password-1');
    await pick('角色', '村信息员');
    await pick('所属村', '东村');
    await dialog.getByRole('button', { name: '创建' }).click();
    const row = page.getByLabel('工作人员列表').locator('tr').filter({ hasText: 'dongcun.helper' });
    await poll(() => row.innerText()).toContain('启用');
    expect(await row.innerText()).toContain('东村');
    // The same username again: said next to the field.
    await page.getByRole('button', { name: '新建工作人员' }).click();
    await dialog.getByLabel('用户名').fill('dongcun.helper');
    await dialog.getByLabel('姓名', { exact: true }).fill('重名');
    await dialog.getByLabel('初始密码').fill('helper-password-2');
    await pick('所属村', '东村');
    await dialog.getByRole('button', { name: '创建' }).click();
    await poll(() => dialog.locator('.el-form-item').filter({ has: page.getByLabel('用户名') }).locator('.el-form-item__error').innerText()).toContain('用户名已存在');
    await dialog.getByRole('button', { name: '取消' }).click();
    await shot('admin-staff');

    // The new clerk signs in in another browser (context): own cookies, own session.
    const other = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    other.setDefaultTimeout(10_000);
    const clerk = await other.newPage();
    try {
      await signIn(clerk, 'dongcun.helper', 'helper-password-1');
      expect(new URL(clerk.url()).pathname).toBe('/console/entries/new');

      await row.getByRole('button', { name: '停用 dongcun.helper' }).click();
      await page.getByRole('dialog', { name: '停用账号' }).getByRole('button', { name: '停用' }).click();
      await poll(() => row.innerText()).toContain('已停用');

      // Their next request is refused, the silent refresh too: back to the login page, told why.
      await menu(clerk).getByRole('menuitem', { name: '录入记录' }).click();
      await clerk.waitForURL((u) => u.pathname === '/console/login');
      expect(await clerk.locator('.el-alert').first().innerText()).toContain('请重新登录');
      await clerk.reload();
      await clerk.getByRole('button', { name: '登录', exact: true }).waitFor();
      await clerk.getByLabel('用户名').fill('dongcun.helper');
      await clerk.getByLabel('密码').fill('helper-password-1');
      await clerk.getByRole('button', { name: '登录', exact: true }).click();
      await poll(() => clerk.getByRole('alert').innerText()).toContain('停用');
      expect(new URL(clerk.url()).pathname).toBe('/console/login');

      // Activated again and given a one-time password: shown once; first login sets their own.
      await row.getByRole('button', { name: '启用 dongcun.helper' }).click();
      await poll(() => row.innerText()).toContain('启用');
      await row.getByRole('button', { name: '重置密码 dongcun.helper' }).click();
      await page.getByRole('dialog', { name: '重置密码' }).getByRole('button', { name: '重置' }).click();
      const otpBox = page.getByRole('dialog', { name: '已生成一次性密码' }).getByLabel('一次性密码', { exact: true });
      await poll(async () => (await otpBox.textContent())?.trim()).toMatch(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
      const otp = ((await otpBox.textContent()) ?? '').trim();
      await page.getByRole('button', { name: '我已记下' }).click();
      await poll(() => row.innerText()).toContain('待改密码');
      await clerk.getByLabel('用户名').fill('dongcun.helper');
      await clerk.getByLabel('密码').fill(otp);
      await clerk.getByRole('button', { name: '登录', exact: true }).click();
      const choose = clerk.getByRole('form', { name: '设置新密码' });
      await choose.getByLabel('新密码', { exact: true }).fill('short');
      await choose.getByRole('button', { name: '设置新密码并登录' }).click();
      await poll(() => choose.locator('.el-form-item__error').first().innerText()).toContain('至少 10 位');
      await choose.getByLabel('新密码', { exact: true }).fill('helper-password-9');
      await choose.getByLabel('再次输入新密码').fill('helper-password-9');
      await choose.getByRole('button', { name: '设置新密码并登录' }).click();
      // Signed in with the new password, back where the ended session was (录入记录).
      await clerk.waitForURL((u) => u.pathname === '/console/entries');
      await clerk.getByRole('button', { name: '退出登录' }).waitFor();
      await token('dongcun.helper', 'helper-password-9');
    } finally {
      await other.close();
    }
  });

  it('holidays: the year offered from the official calendar, edited and saved for the deadlines', async () => {
    await menu(page).getByRole('menuitem', { name: '节假日与调休' }).click();
    const list = page.getByLabel('节假日列表');
    await poll(() => list.innerText()).toContain('国庆节');
    expect(await page.getByText('尚未保存：以下为官方安排').count()).toBe(1);
    expect(await list.innerText()).toContain('调休上班');
    // One local change: 1 月 2 日 taken off the list.
    await list.locator('tr').filter({ hasText: `${year}-01-02` }).getByRole('button', { name: '删除' }).click();
    await page.getByRole('button', { name: `保存 ${year} 年日历` }).click();
    await poll(() => page.getByRole('status').filter({ hasText: '已保存' }).count()).toBe(1);
    const town = await apiCall<{ holidays: string[]; makeupWorkdays: string[] }>('GET', '/towns/current', admin);
    expect(town.holidays).toEqual(expect.arrayContaining([`${year}-10-01`, `${year}-10-07`, `${year}-01-01`]));
    expect(town.holidays).not.toContain(`${year}-01-02`);
    expect(town.makeupWorkdays).toEqual(expect.arrayContaining([`${year}-09-20`, `${year}-10-10`]));
    expect(town.holidays.filter((d) => town.makeupWorkdays.includes(d))).toEqual([]);
    await page.reload();
    await poll(() => page.getByText('已按本镇情况调整').count()).toBe(1);
  });

  it('settings: a changed objection window is saved; a bad grade table is said next to it', async () => {
    await menu(page).getByRole('menuitem', { name: '本镇设置' }).click();
    const windowDays = page.getByLabel('公示期（天）');
    await windowDays.fill('9');
    await page.getByLabel('第 1 档最低分').fill('');
    await page.getByRole('button', { name: '保存设置' }).click();
    await poll(() => page.locator('.el-form-item').filter({ has: page.getByLabel('等级表') }).locator('.el-form-item__error').innerText()).toContain('最低信用分');
    await page.getByLabel('第 1 档最低分').fill('1050');
    await page.getByRole('button', { name: '保存设置' }).click();
    await poll(() => page.getByRole('status').filter({ hasText: '已保存' }).count()).toBe(1);
    expect((await apiCall<{ objectionWindowDays: number }>('GET', '/towns/current', admin)).objectionWindowDays).toBe(9);
    await page.getByRole('heading', { name: /本镇设置/ }).scrollIntoViewIfNeeded();
    await shot('admin-settings');
  });

  it('catalogue: a village item created within the limits, its rule in words, then retired', async () => {
    await menu(page).getByRole('menuitem', { name: '积分目录' }).click();
    await poll(() => page.getByLabel('目录版本').innerText()).toContain('现行');
    await page.getByRole('button', { name: '新增村自设事项' }).click();
    const dialog = page.getByRole('dialog', { name: '新增村自设事项' });
    await dialog.getByLabel('类别').fill('人居环境');
    await dialog.getByLabel('事项名称').fill('门前三包');
    await dialog.getByLabel('说明').fill('门前卫生、秩序、绿化保持良好');
    // Over the town's single-entry limit (2 by default): said next to 分值.
    await dialog.getByLabel('分值', { exact: true }).fill('5');
    await dialog.getByRole('button', { name: '保存事项' }).click();
    await poll(() => dialog.locator('.el-form-item').filter({ has: page.getByLabel('分值', { exact: true }) }).locator('.el-form-item__error').innerText()).toContain('超过本镇上限');
    await dialog.getByLabel('分值', { exact: true }).fill('2');
    await dialog.getByRole('button', { name: '保存事项' }).click();
    const items = page.getByLabel('村自设事项', { exact: true });
    const row = items.locator('tr').filter({ hasText: 'V01' });
    await poll(() => row.innerText()).toContain('使用中');
    expect(await row.innerText()).toMatch(/\+2/);
    await shot('admin-catalog');

    await row.getByRole('button', { name: '停用 V01' }).click();
    const retire = page.getByRole('dialog', { name: /停用 V01/ });
    await retire.getByRole('button', { name: '确定停用' }).click();
    await poll(() => retire.locator('.el-form-item__error').innerText()).toContain('停用原因');
    await retire.getByLabel('停用原因').fill('村规民约修订，不再适用');
    await retire.getByRole('button', { name: '确定停用' }).click();
    await poll(() => row.innerText()).toContain(`自 ${shanghaiDate()} 停用`);
    const listed = await apiCall<Array<{ code: string; retiredOn: string | null }>>('GET', `/villages/${dc.id}/items`, admin);
    expect(listed.find((i) => i.code === 'V01')?.retiredOn).toBe(shanghaiDate());
  });

  it('no page error on the way', () => {
    expect(pageErrors).toEqual([]);
  });
});

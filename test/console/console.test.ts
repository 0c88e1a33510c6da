import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, linkPages } from '../support/browser';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { ROOT, spawnApi, stopSpawned, type Spawned } from '../support/processes';
import { shanghaiDate } from '@app/common/time';

/**
 * The staff console as the village clerk and the village reviewer use it: the built api (from
 * dist/, serving web/dist at /console/) over a real PostgreSQL and Redis, the demo town seeded
 * by the real CLI, Debian's Chromium at 1366×768, driven by the labels and texts a person sees.
 * The journeys build on each other (the reviewer reviews what the clerk entered), so they run
 * in order in one file.
 */
const PASSWORD = 'xinyi-demo-2026';
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(ROOT, 'test-results', 'console');

/** A page settles within seconds on this shared 2-core machine, not vitest's default 1 s. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });

interface Resident {
  id: string;
  name: string;
  cardCode: string;
}
interface Item {
  code: string;
  rule: { type: string; min?: number; max?: number };
}

describe('staff console (browser): clerk entry, upload, review meeting, publish, objections, A4 print', () => {
  let db: { name: string; url: string };
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let villageId: string;
  let residents: Resident[];
  let period: string;
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

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }

  async function signIn(username: string): Promise<void> {
    await context.clearCookies();
    await page.goto(`${api.url}/console/login`);
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
  }

  /** The error text shown with a form field: inside the same form item as the labelled control. */
  function fieldError(label: string): Locator {
    return page.locator('.el-form-item').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.el-form-item__error');
  }

  async function choose(label: string, typed: string): Promise<void> {
    const box = page.getByRole('combobox', { name: label, exact: true });
    await box.click();
    await box.pressSequentially(typed);
    await page.keyboard.press('Enter');
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const base = process.env.DATABASE_URL as string;
    db = await createDemoDatabase(base);
    api = await spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: `console${Date.now().toString(36)}`,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      OBJECTION_RATE_LIMIT_PER_MINUTE: '1000',
      BOARD_CACHE_MS: '0',
    });
    const admin = await token('admin');
    const villages = await apiCall<Array<{ id: string; code: string }>>('GET', '/villages', admin);
    villageId = villages.find((v) => v.code === 'DC')!.id;
    residents = (await apiCall<{ items: Resident[] }>('GET', `/villages/${villageId}/residents?limit=200`, admin)).items;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    period = shanghaiDate().slice(0, 7);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
    });
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

  it('the api serves the console: index.html revalidated, hashed assets immutable, app routes fall back to index.html', async () => {
    const index = await fetch(`${api.url}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    // Under the CSP (script-src 'self'): no inline script in the page.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(`${api.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const deep = await fetch(`${api.url}/console/review/objections`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    const missing = await fetch(`${api.url}/console/assets/nope-123.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('ROUTE.NOT_FOUND');
  });

  it('first load of the console (JS + CSS, gzip) is within the 350 KB budget; all assets from the api itself', async () => {
    const assets: Array<{ url: string; bytes: Buffer }> = [];
    const foreign: string[] = [];
    const onResponse = async (res: import('playwright-core').Response) => {
      const url = new URL(res.url());
      if (url.origin !== api.url) foreign.push(res.url());
      else if (/\.(js|css)$/.test(url.pathname)) assets.push({ url: url.pathname, bytes: await res.body() });
    };
    page.on('response', onResponse);
    await page.goto(`${api.url}/console/`);
    await page.getByRole('button', { name: '登录' }).waitFor();
    await page.waitForLoadState('networkidle');
    page.off('response', onResponse);
    const gzip = assets.reduce((sum, a) => sum + gzipSync(a.bytes, { level: 9 }).length, 0);
    writeFileSync(join(SHOTS, 'first-load.json'), JSON.stringify({ gzipBytes: gzip, files: assets.map((a) => ({ url: a.url, bytes: a.bytes.length, gzip: gzipSync(a.bytes, { level: 9 }).length })) }, null, 2));
    expect(foreign).toEqual([]);
    expect(assets.length).toBeGreaterThan(1);
    expect(gzip).toBeLessThanOrEqual(350 * 1024);
  });

  it('sign-in: a wrong password is said in Chinese; the clerk lands on 本月录入 with the clerk menu', async () => {
    await page.goto(`${api.url}/console/`);
    await page.getByRole('button', { name: '登录' }).click();
    await poll(() => fieldError('用户名').innerText()).toBe('请输入用户名');
    await page.getByLabel('用户名').fill('clerk.dongcun');
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).click();
    await poll(() => page.getByRole('alert').innerText()).toContain('用户名或密码错误');
    await shot('login');
    await signIn('clerk.dongcun');
    expect(new URL(page.url()).pathname).toBe('/console/entries/new');
    const menu = page.getByRole('navigation', { name: '主菜单' });
    expect(await menu.getByRole('menuitem').allInnerTexts()).toEqual(['本月录入', '录入记录', '批量上传', '积分卡打印']);
    // The access token is in memory only; a reload is signed in again by the httpOnly cookie.
    expect(await page.evaluate('document.cookie')).toBe('');
    await page.reload();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/entries/new');
  });

  it('clerk enters a fixed, a range and a cumulative-hours entry by keyboard and sees the points the server computed', async () => {
    const items = await apiCall<Item[]>('GET', '/catalog/items', await token('clerk.dongcun'));
    const range = items.find((i) => i.code === 'T04')!.rule;
    expect(range.type).toBe('range');
    const [a, b, c] = residents;
    await page.getByRole('combobox', { name: '村民', exact: true }).waitFor();

    // Fixed (T10 +5): resident by pinyin-free name, item by code, Enter on the date field saves.
    await choose('村民', a.name);
    await page.keyboard.type('T10');
    await page.keyboard.press('Enter');
    await poll(() => page.getByTestId('preview').innerText()).toContain('+5 分');
    await page.keyboard.press('Enter');
    await poll(() => page.getByLabel('本次已保存', { exact: true }).locator('tbody tr').count()).toBe(1);
    // Focus is back in the resident field for the next paper record.
    expect(await page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('村民');

    // Range (T04): points within the range and a reason.
    await page.keyboard.type(b.cardCode);
    await page.keyboard.press('Enter');
    await page.keyboard.type('T04');
    await page.keyboard.press('Enter');
    const pointsLabel = `分值（${range.min}–${range.max}）`;
    await page.getByLabel(pointsLabel).fill(String(range.max));
    await page.getByLabel('理由', { exact: true }).fill('带头调解邻里纠纷');
    await poll(() => page.getByTestId('preview').innerText()).toContain(`+${range.max} 分`);
    await page.getByLabel('理由', { exact: true }).press('Enter');
    await poll(() => page.getByLabel('本次已保存', { exact: true }).locator('tbody tr').count()).toBe(2);

    // Cumulative bands (T01 volunteer hours): 12 hours crosses the 10-hour band, +2.
    await choose('村民', c.cardCode);
    await page.keyboard.type('T01');
    await page.keyboard.press('Enter');
    await page.getByLabel('数量（小时）').fill('12');
    await poll(() => page.getByTestId('preview').innerText()).toContain('+2 分');
    await page.getByLabel('证据说明').fill('志愿服务签到表第 3 页');
    await page.getByLabel('证据说明').press('Enter');
    await poll(() => page.getByLabel('本次已保存', { exact: true }).locator('tbody tr').count()).toBe(3);
    await shot('entry');

    const listed = await apiCall<{ items: Array<{ residentName: string; itemCode: string; points: number }>; period: string }>('GET', `/villages/${villageId}/entries`, await token('clerk.dongcun'));
    expect(listed.period).toBe(period);
    const server = new Map(listed.items.map((e) => [`${e.residentName} ${e.itemCode}`, e.points]));
    expect([server.get(`${a.name} T10`), server.get(`${b.name} T04`), server.get(`${c.name} T01`)]).toEqual([5, range.max, 2]);
    const rows = await page.getByLabel('本次已保存', { exact: true }).locator('tbody tr').allInnerTexts();
    // Newest first; each row shows the server's points.
    expect(rows[0]).toContain(c.name);
    expect(rows[0]).toContain('+2');
    expect(rows[1]).toContain(b.name);
    expect(rows[1]).toContain(`+${range.max}`);
    expect(rows[2]).toContain(a.name);
    expect(rows[2]).toContain('+5');
  });

  it('bad input reaches the clerk as a Chinese message under the field it is about', async () => {
    const items = await apiCall<Item[]>('GET', '/catalog/items', await token('clerk.dongcun'));
    const range = items.find((i) => i.code === 'T04')!.rule;
    await choose('村民', residents[3].cardCode);
    await page.keyboard.type('T04');
    await page.keyboard.press('Enter');
    const pointsLabel = `分值（${range.min}–${range.max}）`;
    await page.getByLabel(pointsLabel).fill(String(range.max! + 5));
    await page.getByRole('button', { name: '保存（回车）' }).click();
    // Missing reason: said before anything is sent.
    await poll(() => fieldError('理由').innerText()).toBe('区间分值事项必须说明理由');
    await page.getByLabel('理由', { exact: true }).fill('测试超出区间');
    await page.getByLabel('理由', { exact: true }).press('Enter');
    // Out of range: the server's answer, placed under the points field, in Chinese only.
    await poll(() => fieldError(pointsLabel).innerText()).toContain('分值超出该事项的区间');
    expect(await fieldError(pointsLabel).innerText()).not.toMatch(/[A-Za-z]{4,}/);
    const input = await page.getByLabel(pointsLabel).boundingBox();
    const message = await fieldError(pointsLabel).boundingBox();
    expect(message!.y).toBeGreaterThanOrEqual(input!.y + input!.height - 1);
    expect(message!.y - (input!.y + input!.height)).toBeLessThan(30);
    expect(await page.getByLabel('本次已保存', { exact: true }).locator('tbody tr').count()).toBe(3);
    await shot('entry-error');
    expect(pageErrors).toEqual([]);
  });

  it('entry list: filters, the duplicate mark, withdraw with a required reason', async () => {
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '录入记录' }).click();
    const table = page.getByLabel('录入记录', { exact: true });
    await poll(() => table.locator('tbody tr').count()).toBe(3);
    await choose('按事项筛选', 'T04');
    await poll(() => table.locator('tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: '撤回' }).click();
    await page.getByRole('button', { name: '确认撤回' }).click();
    await poll(() => fieldError('撤回原因').innerText()).toBe('请填写撤回原因');
    await page.getByLabel('撤回原因').fill('录错了人');
    await page.getByRole('button', { name: '确认撤回' }).click();
    await poll(() => table.locator('tbody tr').first().innerText()).toContain('已撤回');
    await page.goto(`${api.url}/console/entries`);
    await poll(() => table.locator('tbody tr').count()).toBe(3);
    await shot('entry-list');
  });

  /** CSV in the template's columns; `bad` rows carry one mistake each. */
  function csv(rows: string[][]): Buffer {
    return Buffer.from('\ufeff' + [['卡号', '姓名', '事项编码', '发生日期', '数量', '分值', '理由', '证据说明'], ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n', 'utf8');
  }
  function goodRows(day: string): string[][] {
    // Every resident a fixed T02 entry; a second T10 for the first resident: a likely duplicate of the clerk's.
    return [...residents.map((r) => [r.cardCode, r.name, 'T02', day, '', '', '', '上传']), [residents[0].cardCode, residents[0].name, 'T10', day, '', '', '', '上传']];
  }

  it('upload: every row error in a table, the error sheet downloaded, then the fixed file imported', async () => {
    const day = shanghaiDate();
    const good = goodRows(day);
    const bad = good.map((r) => [...r]);
    bad[2][0] = 'NOSUCHCARD';
    bad[5][2] = 'X99';
    bad[9][3] = '2026-13-45';
    bad[14][1] = '不是本人';
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '批量上传' }).click();
    await page.getByTestId('upload-input').setInputFiles({ name: '十一月记录.csv', mimeType: 'text/csv', buffer: csv(bad) });
    const errors = page.getByLabel('错误列表', { exact: true });
    await errors.waitFor();
    const texts = await errors.locator('tbody tr').allInnerTexts();
    // Lines in the file: header is line 1, so data row i is line i + 2.
    const lines = texts.map((t) => Number(t.split('\t')[0]));
    expect(new Set(lines)).toEqual(new Set([4, 7, 11, 16]));
    for (const t of texts) expect(t).toMatch(/[\u4e00-\u9fff]/);
    expect(await page.getByText(`共 ${texts.length} 处错误，请改正后重新上传`).count()).toBe(1);
    await shot('upload-errors');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载错误说明表' }).click()]);
    expect(download.suggestedFilename()).toBe('十一月记录-错误说明.xlsx');
    // The uploaded rows with an 错误说明 column: the rows with a mistake have text there.
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const ws = book.worksheets[0];
    const header = (ws.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
    const col = header.indexOf('错误说明');
    expect(col).toBeGreaterThan(0);
    const noted = [];
    for (let r = 2; r <= ws.rowCount; r++) if (String(ws.getRow(r).getCell(col).value ?? '').trim()) noted.push(r);
    expect(noted).toEqual([4, 7, 11, 16]);

    await page.getByTestId('upload-input').setInputFiles({ name: '十一月记录-改正.csv', mimeType: 'text/csv', buffer: csv(good) });
    await page.getByText('导入成功').waitFor();
    expect(await page.getByText(`已导入 ${good.length} 条记录`).count()).toBe(1);
    expect(await page.getByText('1 条疑似重复').count()).toBe(1);
    await shot('upload-done');
  });

  it('reviewer: records the meeting, approves all but one, rejects that one with a reason, publishes seeing the window end', async () => {
    const admin = await token('admin');
    await apiCall('POST', `/villages/${villageId}/cycles/${period}/close`, admin);
    await signIn('reviewer.dongcun');
    expect(new URL(page.url()).pathname).toBe('/console/review');
    // Grouped by resident (named with the card: two villagers may share a name).
    const first = page.getByRole('region', { name: `${residents[0].name}（卡号 ${residents[0].cardCode}）` });
    await first.waitFor();
    expect(await first.getByText('疑似重复').count()).toBeGreaterThan(0);
    await shot('review-sheet');

    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '会议与决定' }).click();
    await page.getByRole('button', { name: '保存会议记录' }).click();
    await poll(() => fieldError('会议地点').innerText()).toBe('请填写会议地点');
    const [y, m, d] = shanghaiDate().split('-').map(Number);
    await page.getByLabel('会议日期').fill(`${y}年${m}月${d}日`);
    await page.getByLabel('会议日期').press('Enter');
    await page.getByLabel('会议地点').fill('村委会会议室');
    await page.getByLabel('参会人员').fill('王书记、李主任、村民代表张某');
    await page.getByLabel('会议纪要').fill('逐条审议本月记录。');
    await page.getByRole('button', { name: '保存会议记录' }).click();
    await page.getByLabel('已记录的会议').waitFor();

    const pending = page.getByLabel('待决定的记录', { exact: true });
    const total = await pending.locator('tbody tr').count();
    expect(total).toBe(residents.length + 1 + 2); // upload + the clerk's two standing entries
    await page.getByRole('button', { name: `全选（${total} 条）` }).click();
    // Clicking a row toggles it: the first one stays out of the bulk approval.
    await pending.locator('tbody tr').first().getByRole('cell').nth(2).click();
    await page.getByRole('button', { name: `通过所选（${total - 1} 条）` }).click();
    await poll(() => pending.locator('tbody tr').count()).toBe(1);
    await pending.getByRole('button', { name: /^不通过/ }).click();
    await page.getByRole('button', { name: '确认不通过' }).click();
    await poll(() => fieldError('不通过的理由').innerText()).toBe('不通过必须说明理由');
    await page.getByLabel('不通过的理由').fill('证据不足');
    await page.getByRole('button', { name: '确认不通过' }).click();
    await page.getByText('没有待决定的记录').waitFor();
    await shot('meeting');

    await page.getByRole('button', { name: '公示评议结果' }).click();
    const confirm = page.getByRole('dialog');
    await poll(() => confirm.innerText()).toMatch(/异议期 7 天，预计至 \d{4}年\d{1,2}月\d{1,2}日/);
    await shot('publish-confirm');
    await confirm.getByRole('button', { name: '确认公示' }).click();
    await poll(() => page.getByText(/已于 .* 公示/).count()).toBe(1);
    const sheet = await apiCall<{ cycle: { state: string }; counts: Record<string, number> }>('GET', `/villages/${villageId}/cycles/${period}`, admin);
    expect(sheet.cycle.state).toBe('publicized');
    expect(sheet.counts).toMatchObject({ approved: total - 1, rejected: 1 });
  });

  it('the printable review sheet: A4 pages, header repeated, no row cut across a page break, totals and signatures', async () => {
    await page.goto(`${api.url}/console/review/print/${period}`);
    await page.getByText('议事会成员签字').waitFor();
    await shot('print');
    await page.emulateMedia({ media: 'print' });
    // Test-only markers: a link at the top and at the bottom of each row (Chromium writes each
    // as an annotation on the page where it is drawn).
    const rows = await page.evaluate(`(() => {
      const trs = [...document.querySelectorAll('table.entries tbody tr')];
      trs.forEach((tr, i) => {
        const cells = tr.querySelectorAll('td');
        cells[0].insertAdjacentHTML('afterbegin', '<a href="https://row.test/' + i + '/top">.</a>');
        cells[cells.length === 3 ? 2 : 5].insertAdjacentHTML('beforeend', '<a class="bottom" href="https://row.test/' + i + '/bottom">.</a>');
      });
      return trs.length;
    })()`) as number;
    await page.addStyleTag({ content: 'a.bottom { display: block; margin-top: 12mm; }' });
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
    const { pages, uriPage, mediaBoxes } = linkPages(pdf);
    expect(pages).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < rows; i++) {
      const top = uriPage.get(`https://row.test/${i}/top`) ?? [];
      expect(top, `row ${i} printed once`).toHaveLength(1);
      expect(uriPage.get(`https://row.test/${i}/bottom`), `row ${i} cut across pages`).toEqual(top);
    }
    for (const [w, h] of mediaBoxes) {
      expect(Math.abs(w - 595.3)).toBeLessThan(1.5);
      expect(Math.abs(h - 841.9)).toBeLessThan(1.5);
    }
    const text = await page.locator('article').innerText();
    expect(text).toMatch(/合计：共 \d+ 人、\d+ 条有效记录/);
    expect(text).toContain('主持人签字');
    await page.emulateMedia({ media: 'screen' });
  });

  it('objections: a filed objection shows with its due date; the reviewer dismisses it with a reason', async () => {
    const board = await apiCall<{ residents: Array<{ lines: Array<{ entryId: string }> }> }>('GET', `/public/boards/${villageId}/${period}`, null);
    const entryId = board.residents[0].lines[0].entryId;
    await apiCall('POST', `/public/boards/${villageId}/${period}/objections`, null, { entryId, name: '赵某', contact: '13800000000', reason: '这件事不是他做的' });
    // A second one whose answer is overdue (its due date moved into the past in the database).
    const late = await apiCall<{ id: string }>('POST', `/public/boards/${villageId}/${period}/objections`, null, { entryId: board.residents[1].lines[0].entryId, name: '钱某', contact: '13900000000', reason: '记录的日期不对' });
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query(`UPDATE objections SET due_at = now() - interval '1 day' WHERE id = $1`, [late.id]);
    await pg.end();
    await page.goto(`${api.url}/console/review/objections`);
    const table = page.getByLabel('异议列表', { exact: true });
    await poll(() => table.locator('tbody tr').count()).toBe(2);
    await page.getByText('逾期未答复 1 件').waitFor();
    const overdueRow = table.locator('tbody tr').filter({ hasText: '钱某' });
    expect(await overdueRow.innerText()).toContain('已逾期');
    // Highlighted: the row is drawn in light red (runs in the page; this project compiles without the DOM library).
    const style = (el: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor;
    expect(await overdueRow.evaluate(style)).toBe('rgb(253, 236, 234)');
    const row = table.locator('tbody tr').filter({ hasText: '赵某' });
    expect(await row.innerText()).toMatch(/赵某[\s\S]*这件事不是他做的[\s\S]*\d{4}年\d{1,2}月\d{1,2}日/);
    expect(await row.innerText()).not.toContain('已逾期');
    await row.getByRole('button', { name: '答复' }).click();
    await page.getByRole('button', { name: '提交答复' }).click();
    await poll(() => fieldError('书面答复').innerText()).toContain('请填写书面答复');
    await page.getByText('异议不成立（该记录照常入账）').click();
    await page.getByLabel('书面答复').fill('经核实，记录属实，异议不成立。');
    await shot('objection-answer');
    await page.getByRole('button', { name: '提交答复' }).click();
    await poll(() => table.locator('tbody tr').count()).toBe(1);
    // The radio button's visible label (its input is hidden, as Element Plus draws it).
    await page.getByRole('radio', { name: '全部' }).locator('..').click();
    await poll(() => table.locator('tbody tr').filter({ hasText: '赵某' }).innerText()).toContain('异议不成立');
    await shot('objections');

    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '公示预览' }).click();
    await page.getByLabel('公示内容', { exact: true }).waitFor();
    expect(await page.getByText(/信义积分公示$/).count()).toBe(1);
    // The board JSON came gzipped from its stored pieces (board-json.ts): Chromium inflated it, every line is there with its standing.
    const shown = await apiCall<{ residents: Array<{ lines: unknown[] }> }>('GET', `/public/boards/${villageId}/${period}`, null);
    expect(await page.getByLabel('公示内容', { exact: true }).locator('tbody tr').count()).toBe(shown.residents.flatMap((r) => r.lines).length);
    await shot('board-preview');
  });

  it('a session ended by the town (account disabled) returns to the login page with a message; other roles get a friendly home', async () => {
    const admin = await token('admin');
    const me = await apiCall<{ id: string }>('GET', '/auth/me', await token('reviewer.dongcun'));
    await apiCall('POST', `/staff/${me.id}/deactivate`, admin);
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '异议处理' }).click();
    await page.getByText('登录已过期或已在别处退出，请重新登录').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await apiCall('POST', `/staff/${me.id}/activate`, admin);

    // The auditor now has a desk of their own (test/console/auditor.test.ts); the friendly page
    // stays for a role whose pages are not built.
    await signIn('auditor');
    expect(new URL(page.url()).pathname).toBe('/console/audit/postings');
    await page.goto(`${api.url}/console/soon`);
    await page.getByText('此角色的页面即将上线').waitFor();
    await shot('coming-soon');
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByText('您已安全退出').waitFor();
    expect(pageErrors).toEqual([]);
  });
});

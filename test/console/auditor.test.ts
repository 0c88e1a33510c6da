import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, linkPages } from '../support/browser';
import { createDemoDatabase, dropTestDatabase } from '../support/db';
import { ROOT, spawnApi, spawnBuilt, stopSpawned, tail, type Spawned } from '../support/processes';
import { shanghaiDate } from '@app/common/time';

/**
 * The auditors' desk (审计/信用办) as an auditor uses it: the built api over a real PostgreSQL and
 * Redis, the demo town seeded by the CLI, one month of 东村 entered, reviewed, published and
 * finalized through the real api and CLI, Debian's Chromium driven by labels and texts. The
 * verification journey tampers with a posting, so it runs last.
 */
const PASSWORD = 'xinyi-demo-2026';
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? join(ROOT, 'test-results', 'console');
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

interface Resident {
  id: string;
  name: string;
  cardCode: string;
}
interface PostingPage {
  items: Array<{ id: string; residentId: string; seq: number }>;
  nextCursor: string | null;
}

describe("auditors' desk (browser): postings, export, statement, audit log, timeliness, verification", () => {
  let db: { name: string; url: string };
  let api: Spawned & { url: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let villageId: string;
  let residents: Resident[];
  let period: string;
  let auditor: string;
  const queuePrefix = `auditor${Date.now().toString(36)}`;
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
    // Nothing loading, nothing hovered: the page as a person reads it.
    await poll(() => page.locator('.el-loading-mask:visible').count()).toBe(0);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  }

  const table = (label: string) => page.getByLabel(label, { exact: true });
  /** The texts of one column of an Element Plus table, by its position. */
  const column = (t: Locator, index: number) => t.locator(`.el-table__body tbody tr td:nth-child(${index})`).allInnerTexts();
  function fieldError(label: string): Locator {
    return page.locator('.el-form-item').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.el-form-item__error');
  }
  /** Types into a filterable select and clicks the option whose label contains `option` (default: what was typed). */
  async function choose(label: string, typed: string, option = typed): Promise<void> {
    const box = page.getByRole('combobox', { name: label, exact: true });
    await box.click();
    await box.pressSequentially(typed);
    // Only the open dropdown's options: a select opened earlier keeps its (hidden) options in the page.
    await page.getByRole('option').filter({ hasText: option, visible: true }).first().click();
  }
  /** Demo names repeat: a resident is picked by name, the option by its card code. */
  const chooseResident = (r: Resident) => choose('村民', r.name, r.cardCode);
  /** A select without typing: open it (its placeholder covers the input) and click the option. */
  async function pick(label: string, option: string): Promise<void> {
    await page.locator('.el-select').filter({ has: page.getByRole('combobox', { name: label, exact: true }) }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }
  async function month(label: string, value: string): Promise<void> {
    const input = page.getByLabel(label, { exact: true });
    await input.click();
    await input.fill(value);
    await input.press('Enter');
  }
  async function menu(title: string): Promise<void> {
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: title }).click();
    await page.getByRole('heading', { name: title === '记账明细' ? '记账明细查询' : title }).first().waitFor();
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const base = process.env.DATABASE_URL as string;
    db = await createDemoDatabase(base);
    api = await spawnApi({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      BOARD_CACHE_MS: '0',
    });
    const admin = await token('admin');
    const villages = await apiCall<Array<{ id: string; code: string }>>('GET', '/villages', admin);
    villageId = villages.find((v) => v.code === 'DC')!.id;
    residents = (await apiCall<{ items: Resident[] }>('GET', `/villages/${villageId}/residents?limit=200`, admin)).items;

    // One month of 东村, the real way: entered, closed, met, decided, published, finalized.
    const clerk = await token('clerk.dongcun');
    const reviewer = await token('reviewer.dongcun');
    const today = shanghaiDate();
    const specs = [
      { residentId: residents[0].id, itemCode: 'T10' },
      { residentId: residents[0].id, itemCode: 'T57', points: 10, reason: '扑救邻居家火情', evidenceNote: '村委会证明' },
      { residentId: residents[1].id, itemCode: 'B01', evidenceNote: '敬告单存根' },
      { residentId: residents[2].id, itemCode: 'B02' },
    ];
    const ids: string[] = [];
    for (const s of specs) {
      const e = await apiCall<{ id: string; period: string }>('POST', `/villages/${villageId}/entries`, clerk, { occurredOn: today, ...s });
      ids.push(e.id);
      period = e.period;
    }
    const cyc = `/villages/${villageId}/cycles/${period}`;
    await apiCall('POST', `${cyc}/close`, admin);
    await apiCall('POST', `${cyc}/meeting`, reviewer, { heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条审议' });
    await apiCall('POST', `${cyc}/decisions`, reviewer, { decisions: ids.map((entryId) => ({ entryId, decision: 'approve' })) });
    await apiCall('POST', `${cyc}/publish`, reviewer);
    const fin = spawnBuilt('database/cli', ['finalize-due', '--as-of', new Date(Date.now() + 8 * 86_400_000).toISOString()], {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL as string,
      QUEUE_PREFIX: queuePrefix,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    });
    const done = await fin.exited;
    if (done.code !== 0) throw new Error(`finalize-due failed:\n${tail(fin.output())}`);
    const sheet = await apiCall<{ cycle: { state: string } }>('GET', cyc, admin);
    if (sheet.cycle.state !== 'finalized') throw new Error(`cycle not finalized: ${sheet.cycle.state}`);
    auditor = await token('auditor');

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 180_000);

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await page.screenshot({ path: join(SHOTS, `failed-auditor-${task.name.slice(0, 30).replace(/[^\w\u4e00-\u9fff]+/g, '-')}.png`) });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stopSpawned(api);
    if (db) await dropTestDatabase(process.env.DATABASE_URL as string, db.name);
  });

  it('the auditor signs in to the postings search with the auditor menu', async () => {
    await page.goto(`${api.url}/console/login`);
    await page.getByLabel('用户名').fill('auditor');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/audit/postings');
    expect(await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem').allInnerTexts()).toEqual(['记账明细', '村民对账单', '操作日志', '账本校验', '评议时效']);
  });

  it('postings: filters (village, kind, period range, resident) give the rows the api gives; keyset pages forward and back', async () => {
    const postings = table('记账明细');
    const ids = () => column(postings, 9);
    // A period range the wrong way round is said next to the field, before anything is asked.
    await month('期间起', '2026-12');
    await month('期间止', '2026-01');
    await page.getByRole('button', { name: '查询' }).click();
    await poll(() => fieldError('期间起').innerText()).toBe('起始期间不能晚于截止期间');

    await month('期间起', period);
    await month('期间止', period);
    await choose('村（社区）', '东村');
    await pick('类型', '积分事项');
    await page.getByRole('button', { name: '查询' }).click();
    const deeds = await apiCall<PostingPage>('GET', `/audit/postings?villageId=${villageId}&kind=deed&periodFrom=${period}&periodTo=${period}&limit=50`, auditor);
    expect(deeds.items).toHaveLength(4);
    await poll(ids).toEqual(deeds.items.map((p) => p.id));
    expect(await postings.innerText()).toContain('T57');
    await shot('auditor-postings');

    // The resident filter finds 东村's first resident by name, anywhere in the town.
    await chooseResident(residents[0]);
    await page.getByRole('button', { name: '查询' }).click();
    const mine = await apiCall<PostingPage>('GET', `/audit/postings?residentId=${residents[0].id}&villageId=${villageId}&kind=deed&periodFrom=${period}&periodTo=${period}`, auditor);
    expect(mine.items).toHaveLength(2);
    await poll(ids).toEqual(mine.items.map((p) => p.id));

    // Paging: the whole village (opening balances and deeds), 20 a page, follows the api's cursor.
    await page.getByRole('button', { name: '重置' }).click();
    await choose('村（社区）', '东村');
    await page.getByRole('button', { name: '查询' }).click();
    await pick('每页条数', '每页 20 条');
    const first = await apiCall<PostingPage>('GET', `/audit/postings?villageId=${villageId}&limit=20`, auditor);
    const second = await apiCall<PostingPage>('GET', `/audit/postings?villageId=${villageId}&limit=20&cursor=${first.nextCursor}`, auditor);
    expect(first.nextCursor && second.items.length).toBeTruthy();
    await poll(ids).toEqual(first.items.map((p) => p.id));
    await page.getByRole('button', { name: '下一页' }).click();
    await poll(ids).toEqual(second.items.map((p) => p.id));
    await poll(() => page.getByRole('navigation', { name: '翻页' }).innerText()).toContain('第 2 页');
    await page.getByRole('button', { name: '上一页' }).click();
    await poll(ids).toEqual(first.items.map((p) => p.id));
  });

  it('postings: the .xlsx export streams with progress and holds exactly the rows the api pages through', async () => {
    await page.getByRole('button', { name: '重置' }).click();
    await choose('村（社区）', '东村');
    await page.getByRole('button', { name: '查询' }).click();
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const p: PostingPage = await apiCall<PostingPage>('GET', `/audit/postings?villageId=${villageId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`, auditor);
      all.push(...p.items.map((i) => i.id));
      cursor = p.nextCursor;
    } while (cursor);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 Excel' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^记账明细-\d{4}-\d{2}-\d{2}\.xlsx$/);
    await poll(() => page.getByRole('status', { name: '导出进度' }).innerText()).toMatch(/^导出完成：[\d.]+ (KB|MB|B)$/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('记账明细')!;
    expect(sheet.getRow(1).getCell(1).value).toBe('记账编号');
    const exported: string[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) exported.push(String(row.getCell(1).value));
    });
    expect(exported).toEqual(all);

    // CSV counts its rows as they arrive.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 CSV' }).click()]);
    await poll(() => page.getByRole('status', { name: '导出进度' }).innerText()).toContain(`，${all.length.toLocaleString('zh-CN')} 条`);
    const lines = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(all.length + 1);
  });

  it('statement: found by name, explained lines with rule, reason, evidence, decision and 警告; printed on A4', async () => {
    await menu('村民对账单');
    await page.getByRole('button', { name: '查看对账单' }).click();
    await poll(() => fieldError('村民').innerText()).toBe('请先选择村民');
    await chooseResident(residents[1]);
    const lines = table('对账单明细');
    await poll(() => lines.innerText()).toContain('B01');
    const statement = await apiCall<{ lines: Array<{ itemCode: string | null; ruleText: string | null; explanation: string | null; decision: string | null }>; currentBalance: number }>(
      'GET',
      `/audit/residents/${residents[1].id}/statement`,
      auditor,
    );
    const b01 = statement.lines.find((l) => l.itemCode === 'B01')!;
    const text = await lines.innerText();
    expect(text).toContain('警告');
    expect(text).toContain(`计分规则：${b01.ruleText}`);
    expect(text).toContain(`本次计分：${b01.explanation}`);
    expect(text).toContain('证据：敬告单存根');
    expect(text).toContain(`评议：${b01.decision}`);
    expect(await page.getByLabel('对账单概要').innerText()).toContain(`当前余额 ${statement.currentBalance}`);

    await chooseResident(residents[0]);
    await poll(() => lines.innerText()).toContain('扑救邻居家火情');
    expect(await lines.innerText()).toContain('证据：村委会证明');
    await shot('auditor-statement');

    await page.getByRole('button', { name: '打印对账单' }).click();
    await page.getByText('核对人签字').waitFor();
    expect(await page.locator('article').innerText()).toContain('信义积分对账单');
    expect(await page.locator('article').innerText()).toContain('扑救邻居家火情');
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
    await page.emulateMedia({ media: 'screen' });
    const { pages, mediaBoxes } = linkPages(pdf);
    expect(pages).toBeGreaterThanOrEqual(1);
    for (const [w, h] of mediaBoxes) {
      expect(Math.abs(w - 595.3)).toBeLessThan(1.5);
      expect(Math.abs(h - 841.9)).toBeLessThan(1.5);
    }

    // A resident that does not exist: the api's Chinese message on the page, never a blank one.
    await page.goto(`${api.url}/console/audit/statement/print/00000000-0000-4000-8000-000000000000`);
    await poll(() => page.getByRole('alert').innerText()).toMatch(/[\u4e00-\u9fff]{2,}/);
  });

  it('audit log: searching by action finds the publish, said in words with who (name, role, username) and a link', async () => {
    await page.goto(`${api.url}/console/audit/log`);
    await page.getByRole('heading', { name: '操作日志' }).waitFor();
    await choose('操作', '公示评议结果');
    await page.getByRole('button', { name: '查询' }).click();
    const log = table('操作日志');
    await poll(() => log.locator('.el-table__body tbody tr').count()).toBe(1);
    expect(await log.innerText()).toContain('东村议事会（村议事会 · reviewer.dongcun） 公示评议结果：评议周期');
    expect(await log.innerText()).toContain('cycle.publish');
    // The actor filter: everything 东村议事会 did; the link to the cycle's other actions.
    await page.getByRole('button', { name: '重置' }).click();
    await choose('操作人', '东村议事会');
    await page.getByRole('button', { name: '查询' }).click();
    await poll(() => log.innerText()).toContain('记录议事会会议');
    await shot('auditor-audit-log');
    await page.getByRole('button', { name: '重置' }).click();
    await poll(() => log.innerText()).toContain('入账并生成核验码');
    await log.locator('.el-table__body tbody tr').filter({ hasText: '入账并生成核验码' }).getByRole('link', { name: '此对象的全部操作' }).click();
    await poll(() => new URL(page.url()).searchParams.get('targetType')).toBe('cycle');
    // Only that cycle's actions: its publish is there, nobody's logins are.
    await poll(() => log.innerText()).not.toContain('登录');
    expect(await log.innerText()).toContain('公示评议结果');

    // The time range goes to the api as instants in Beijing time; a range with nothing in it says so.
    await page.getByRole('button', { name: '重置' }).click();
    const form = page.getByRole('search', { name: '查询条件' });
    await form.getByPlaceholder('开始').fill('2099-01-01 00:00');
    await form.getByPlaceholder('结束').fill('2099-02-01 00:00');
    await form.getByPlaceholder('结束').press('Enter');
    await page.getByRole('button', { name: '查询' }).click();
    await poll(() => new URL(page.url()).searchParams.get('from')).toBe('2099-01-01T00:00:00+08:00');
    expect(new URL(page.url()).searchParams.get('to')).toBe('2099-02-01T00:00:00+08:00');
    await poll(() => log.innerText()).toContain('没有符合条件的操作');
  });

  it('timeliness: the month per village with its deadlines; the .xlsx export has the same rows', async () => {
    await menu('评议时效');
    await month('期间', period);
    const rows = table('各村评议时效');
    await poll(() => rows.innerText()).toContain('已入账');
    const json = await apiCall<{ villages: Array<{ villageName: string; state: string | null }> }>('GET', `/audit/timeliness?period=${period}`, auditor);
    expect(await column(rows, 1)).toEqual(json.villages.map((v) => v.villageName));
    expect(await page.getByLabel('截止时间').innerText()).toMatch(/关账截止 .+ 前，公示截止 .+ 前/);
    await shot('auditor-timeliness');
    await month('导出起始期间', period);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出 Excel' }).click()]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('评议时效')!;
    const names: string[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) names.push(String(row.getCell(3).value));
    });
    expect(names).toEqual(json.villages.map((v) => v.villageName));
  });

  it('statement: a long one shows its newest 50 lines first; 显示更早的记录 puts the rest on top, a failure said beside the button', async () => {
    // 55 purchases at the till (1 point each) after the demo's opening balance: 56 lines.
    const long = residents[3];
    const admin = await token('admin');
    const shop = (await apiCall<Array<{ id: string; code: string }>>('GET', '/shops', admin)).find((x) => x.code === 'DC-SHOP')!;
    const { apiKey } = await apiCall<{ apiKey: string }>('POST', `/shops/${shop.id}/terminals`, admin, { name: '对账单测试收银台' });
    const clerk = await token('shop.dongcun');
    const goods = await apiCall<{ id: string }>('POST', `/shops/${shop.id}/goods`, clerk, { name: '火柴', unit: '盒', pricePoints: 1 });
    await apiCall('POST', `/goods/${goods.id}/stock`, clerk, { kind: 'received', quantity: 100, reason: '进货' });
    for (let i = 0; i < 55; i++) {
      const res = await fetch(`${api.url}/api/v1/terminal/redemptions`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ cardCode: long.cardCode, lines: [{ goodsId: goods.id, quantity: 1 }], idempotencyKey: `statement-page-${i}` }),
      });
      expect(res.status).toBe(201);
    }
    const whole = await apiCall<{ lines: Array<{ seq: number; balance: number }> }>('GET', `/audit/residents/${long.id}/statement`, auditor);
    expect(whole.lines).toHaveLength(56);

    await menu('村民对账单');
    await chooseResident(long);
    const lines = table('对账单明细');
    const rows = lines.locator('.el-table__body tbody tr');
    await poll(() => rows.count()).toBe(50);
    // Newest 50: seq 7..56, each with the balance the whole statement gives it.
    expect((await column(lines, 1))[0]).toBe('7');
    expect((await column(lines, 7)).map(Number)).toEqual(whole.lines.slice(6).map((l) => l.balance));
    expect(await page.getByLabel('对账单概要').innerText()).toContain('共 56 条明细，下表先显示最近的 50 条');
    const earlier = page.getByRole('button', { name: '显示更早的记录' });
    expect(await earlier.innerText()).toBe('显示更早的 6 条记录（还有 6 条）');
    await shot('auditor-statement-long');

    // The api refuses once: the message beside the button, the 50 lines kept.
    await page.route('**/statement?*beforeSeq=*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ statusCode: 503, code: 'SERVICE.UNAVAILABLE', message: '服务暂时不可用，请稍后重试' }) }), { times: 1 });
    await earlier.click();
    await poll(() => page.locator('.earlier [role="alert"]').innerText()).toBe('更早的记录没有加载成功：服务暂时不可用，请稍后重试');
    expect(await rows.count()).toBe(50);

    await earlier.click();
    await poll(() => rows.count()).toBe(56);
    expect((await column(lines, 1)).map(Number)).toEqual(whole.lines.map((l) => l.seq));
    expect((await column(lines, 7)).map(Number)).toEqual(whole.lines.map((l) => l.balance));
    expect(await earlier.count()).toBe(0);
    expect(await page.getByLabel('对账单概要').innerText()).not.toContain('下表先显示');

    // Opened at a line (as the verification page links a broken one): earlier pages load until it shows, marked.
    await page.goto(`${api.url}/console/audit/statement?residentId=${long.id}&seq=3`);
    const focused = lines.locator('tr.focus-row');
    await poll(() => focused.count()).toBe(1);
    expect((await focused.locator('td').first().innerText()).trim()).toBe('3');
    expect(await rows.count()).toBe(56);

    // From the postings search: the resident's name opens the statement at that posting.
    await menu('记账明细');
    await chooseResident(long);
    await page.getByRole('button', { name: '查询' }).click();
    const postings = table('记账明细');
    // Newest first, 20 a page: seq 56 … 37; open the one at seq 40.
    const row40 = postings.locator('.el-table__body tbody tr').filter({ has: page.getByRole('cell', { name: '40', exact: true }) });
    await poll(() => row40.count()).toBe(1);
    await row40.getByRole('link', { name: long.name }).click();
    await poll(() => lines.locator('tr.focus-row td').first().innerText()).toBe('40');
  });

  it('verification: a clean ledger in words; a tampered posting named with its resident, account and seq', async () => {
    await menu('账本校验');
    await page.getByRole('button', { name: '开始校验' }).click();
    const result = page.getByRole('status', { name: '校验结果' });
    await poll(() => result.innerText()).toContain('校验通过');
    expect(await result.innerText()).toMatch(/已校验 \d+ 个账户、[\d,]+ 条记账、1 个入账核验码：全部一致/);
    const checkpoints = table('入账核验码');
    await poll(() => checkpoints.innerText()).toContain('东村');
    const [cp] = await apiCall<{ items: Array<{ hash: string }> }>('GET', '/audit/checkpoints', auditor).then((r) => r.items);
    expect(await checkpoints.innerText()).toContain(cp.hash);

    // Tamper the way the tamper test does: a superuser rewrites a posting's points.
    const target = residents[2];
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    let seq: number;
    try {
      const [row] = (await pg.query(`SELECT seq FROM postings WHERE account_id = $1 AND kind = 'deed'`, [target.id])).rows;
      seq = row.seq;
      await pg.query(`ALTER TABLE postings DISABLE TRIGGER postings_append_only`);
      await pg.query(`UPDATE postings SET points = 500 WHERE account_id = $1 AND seq = $2`, [target.id, seq]);
      await pg.query(`ALTER TABLE postings ENABLE TRIGGER postings_append_only`);
    } finally {
      await pg.end();
    }
    await page.getByRole('button', { name: '重新校验' }).click();
    await poll(() => result.innerText()).toContain('发现问题');
    const first = await page.getByLabel('第一个断点').innerText();
    expect(first).toContain(`东村 ${target.name}（卡号 ${target.cardCode}）的账户 ${target.id}，第 ${seq} 条记账`);
    expect(first).toContain('本条记账的内容与其哈希不符，内容被改动');
    expect(first).toMatch(/应为：[0-9a-f]{64}/);
    await shot('auditor-verify');

    // The broken account's link opens its statement at the tampered line, marked.
    await page.getByLabel('有问题的账户').getByRole('link').first().click();
    const focused = table('对账单明细').locator('tr.focus-row');
    await poll(() => focused.count()).toBe(1);
    expect((await focused.locator('td').first().innerText()).trim()).toBe(String(seq));
    expect(pageErrors).toEqual([]);
  });
});

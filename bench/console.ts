/// <reference lib="dom" />
/**
 * The staff console's budgets (issue 15 "Budgets", issue 16 last paragraph), measured against the
 * bench's api, which serves the built console (web/dist) at /console/:
 *
 * - firstLoad: what index.html makes the login page load (scripts, stylesheets, modulepreloads),
 *   fetched as the api serves them, gzip-compressed here (zlib level 6, what a gzip-ing proxy
 *   would send); and the login page's load time in Chromium, cold cache, a new context per sample.
 * - till: scan → basket ready and 兑换 → receipt shown in Chromium, timed in the page as
 *   test/console/till.test.ts does (MutationObserver from the Enter/click to the change on screen).
 */
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { percentiles } from './lib';

type Pct = ReturnType<typeof percentiles>;

/** Chromium's flags as in test/integration/board-browser.test.ts. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export interface Asset {
  path: string;
  kind: 'script' | 'stylesheet' | 'modulepreload';
  bytes: number;
  gzipBytes: number;
  servedEncoding: string | null;
}

/** The assets index.html references, as the api serves them, and their gzip size. */
export async function consoleAssets(api: string): Promise<{ assets: Asset[]; indexStatus: number }> {
  return pageAssets(api, '/console/login');
}

/** The same for any page the api serves from a Vite build (the resident's phone page at /r/). */
export async function pageAssets(api: string, page: string): Promise<{ assets: Asset[]; indexStatus: number }> {
  const res = await fetch(`${api}${page}`);
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET ${page}: ${res.status} ${html.slice(0, 300)}`);
  const found = new Map<string, Asset['kind']>();
  for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)) found.set(m[1], 'script');
  for (const m of html.matchAll(/<link\b[^>]*>/g)) {
    const tag = m[0];
    const href = /\bhref="([^"]+)"/.exec(tag)?.[1];
    const rel = /\brel="([^"]+)"/.exec(tag)?.[1];
    if (!href || !rel) continue;
    if (rel === 'stylesheet') found.set(href, 'stylesheet');
    else if (rel === 'modulepreload') found.set(href, 'modulepreload');
  }
  if (![...found.values()].includes('script')) throw new Error(`index.html has no script: ${html.slice(0, 500)}`);
  const assets: Asset[] = [];
  for (const [path, kind] of found) {
    const url = new URL(path, `${api}${page}`).toString();
    // Node's fetch inflates a compressed body itself; the header says what was on the wire.
    const r = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status}`);
    assets.push({ path: new URL(url).pathname, kind, bytes: body.length, gzipBytes: gzipSync(body, { level: 6 }).length, servedEncoding: r.headers.get('content-encoding') });
  }
  return { assets, indexStatus: res.status };
}

/** The login page in a cold context, `samples` times: navigation to load event, and to the form shown. */
export async function loginPageLoad(browser: Browser, api: string, samples: number): Promise<{ loadMs: Pct; formShownMs: Pct; transferredBytes: number[] }> {
  const load: number[] = [];
  const shown: number[] = [];
  const transferred: number[] = [];
  for (let i = 0; i < samples; i++) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    try {
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${api}/console/login`, { waitUntil: 'load' });
      await page.getByLabel('用户名').waitFor();
      shown.push(performance.now() - t0);
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
        return { loadEnd: n.loadEventEnd, bytes: n.transferSize + res.reduce((s, r) => s + r.transferSize, 0) };
      });
      load.push(nav.loadEnd);
      transferred.push(nav.bytes);
    } finally {
      await context.close();
    }
  }
  return { loadMs: percentiles(load), formShownMs: percentiles(shown), transferredBytes: transferred };
}

export interface TillPerson {
  cardCode: string;
  maskedName: string;
  /** Before the sale: with the masked name, how the scan knows the card shown is this one. */
  balance: number;
  balanceAfter: number;
}

/**
 * The people in an order where no one follows someone shown the same (masked name and balance):
 * otherwise the scan would "see" the previous customer still on screen, and 兑换 could go out for
 * that card while the new one is still being looked up.
 */
export function alternate(people: TillPerson[]): TillPerson[] {
  const key = (p: TillPerson) => `${p.maskedName}|${p.balance}`;
  const left = [...people];
  const out: TillPerson[] = [];
  while (left.length) {
    const prev = out.length ? key(out[out.length - 1]) : null;
    const i = left.findIndex((p) => key(p) !== prev);
    out.push(...left.splice(i === -1 ? 0 : i, 1));
  }
  return out;
}

/**
 * The till in Chromium: the terminal's key stored on this device (as pairing leaves it), the shop
 * clerk signed in, then per person: scan the card, scan the goods' barcode (basket ready), 兑换
 * (receipt shown). Returns the two timings per sale, in ms, measured in the page.
 */
export async function tillTimings(
  browser: Browser,
  api: string,
  opts: { terminalKey: string; clerk: string; password: string; barcode: string; goodsName: string; people: TillPerson[] },
): Promise<{ scanToBasketMs: number[]; redeemToReceiptMs: number[]; sales: SaleBreakdown[]; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const pageErrors: string[] = [];
  try {
    await context.addInitScript(
      ({ key }) => {
        if (!localStorage.getItem('xinyi.till.apiKey')) localStorage.setItem('xinyi.till.apiKey', key);
        window.print = () => undefined;
      },
      { key: opts.terminalKey },
    );
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${api}/console/login`);
    await page.getByLabel('用户名').fill(opts.clerk);
    await page.getByLabel('密码').fill(opts.password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '退出登录' }).waitFor();
    if (new URL(page.url()).pathname !== '/console/till') await page.goto(`${api}/console/till`);
    await page.getByLabel('卡号', { exact: true }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: new RegExp(`^${opts.goodsName} `) }).waitFor({ timeout: 20_000 });
    const scans: number[] = [];
    const sales: number[] = [];
    const windows: Array<[number, number]> = [];
    await page.evaluate(() => {
      performance.setResourceTimingBufferSize(10_000);
      performance.clearResourceTimings();
    });
    for (const p of alternate(opts.people)) {
      await page.getByLabel('卡号', { exact: true }).fill(p.cardCode);
      const scan = await timed(page, 'scan', [p.maskedName, `可用积分 ${p.balance}`]);
      await page.getByLabel('商品搜索').fill(opts.barcode);
      scans.push(scan.ms + (await timed(page, 'barcode', opts.goodsName)).ms);
      const sale = await timed(page, 'redeem', `余额 ${p.balanceAfter} 分`);
      sales.push(sale.ms);
      windows.push([sale.t0, sale.t1]);
    }
    // Read once all sales are done: a request still running when its receipt showed has its entry only once it ends.
    await page.waitForTimeout(1_000);
    const entries = await page.evaluate(() =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({ path: new URL(e.name).pathname, startTime: e.startTime, requestStart: e.requestStart, responseStart: e.responseStart, responseEnd: e.responseEnd })),
    );
    return { scanToBasketMs: scans, redeemToReceiptMs: sales, sales: windows.map(([t0, t1]) => saleBreakdown(entries, t0, t1)).filter((x): x is SaleBreakdown => x !== null), pageErrors };
  } finally {
    await context.close();
  }
}

/**
 * Where one 兑换 → receipt shown went, from the page's Resource Timing of the POST: click → the
 * request leaves (the till's own work before sending), the request (ttfb: the api's answer on
 * loopback; then the body), response end → receipt on screen (parse and render), and which other
 * requests started inside that window (a refetch there competes with the render for the CPU).
 */
export interface SaleBreakdown {
  totalMs: number;
  beforeRequestMs: number;
  requestMs: number;
  ttfbMs: number;
  afterResponseMs: number;
  otherRequests: string[];
}

interface ResourceEntry {
  path: string;
  startTime: number;
  requestStart: number;
  responseStart: number;
  responseEnd: number;
}

function saleBreakdown(entries: ResourceEntry[], t0: number, t1: number): SaleBreakdown | null {
  const inWindow = entries.filter((e) => e.startTime >= t0 && e.startTime <= t1);
  const post = inWindow.find((e) => e.path.endsWith('/terminal/redemptions'));
  if (!post) return null;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    totalMs: r(t1 - t0),
    beforeRequestMs: r(post.startTime - t0),
    requestMs: r(post.responseEnd - post.startTime),
    ttfbMs: r(post.responseStart - post.requestStart),
    afterResponseMs: r(t1 - post.responseEnd),
    otherRequests: inWindow.filter((e) => e !== post).map((e) => e.path),
  };
}

/** One timed action: milliseconds from the Enter (or the click) to the change on screen, and that window on the page's clock. */
interface Timed {
  ms: number;
  t0: number;
  t1: number;
}

/** Measured in the page (as test/console/till.test.ts): a MutationObserver from the Enter/click to the expected text. */
function timed(page: Page, action: 'scan' | 'barcode' | 'redeem', expect: string | string[]): Promise<Timed> {
  const expected = Array.isArray(expect) ? expect : [expect];
  const run = page.evaluate(
    ({ action, expected }) =>
      new Promise<Timed>((resolve) => {
        const target = { scan: '[aria-label="村民信息"]', barcode: '.line', redeem: '[aria-label="兑换成功"]' }[action];
        const seen = () => [...document.querySelectorAll(target)].some((el) => expected.every((x) => (el.textContent ?? '').includes(x)));
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (seen()) {
            const t1 = performance.now();
            obs.disconnect();
            resolve({ ms: t1 - t0, t0, t1 });
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
  // A sale that never shows (refusal, wrong text) must not hang the bench.
  return Promise.race([run, new Promise<Timed>((_, reject) => setTimeout(() => reject(new Error(`till ${action}: "${expected.join('", "')}" not shown within 15 s`)), 15_000))]);
}

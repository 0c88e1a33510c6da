import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type TownFixture } from '../support/fixtures';
import { publishMonth, villageA } from './board-helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RESIDENTS = 60;
const ARTEFACTS = join(__dirname, '..', '..', 'test-results');

/**
 * Which page of the PDF each link annotation's URI is on. Chromium (Skia) writes one object per
 * page with `/Annots [n 0 R …]` and one object per link annotation with `/URI (…)`, uncompressed.
 */
function linkPages(pdf: Buffer): { pages: number; uriPage: Map<string, number[]> } {
  const text = pdf.toString('latin1');
  const objects = new Map<string, string>();
  for (const m of text.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) objects.set(m[1], m[2]);
  const pageObjects = [...objects.entries()].filter(([, body]) => /\/Type\s*\/Page(?![s\w])/.test(body));
  // Page order: the /Kids array of the page tree.
  const kids = [...text.matchAll(/\/Kids\s*\[([^\]]*)\]/g)].flatMap((m) => [...m[1].matchAll(/(\d+) 0 R/g)].map((k) => k[1]));
  const order = kids.filter((k) => pageObjects.some(([id]) => id === k));
  const uriPage = new Map<string, number[]>();
  order.forEach((pageId, index) => {
    const annots = /\/Annots\s*\[([^\]]*)\]/.exec(objects.get(pageId) ?? '');
    for (const ref of annots ? annots[1].matchAll(/(\d+) 0 R/g) : []) {
      const uri = /\/URI\s*\(([^)]*)\)/.exec(objects.get(ref[1]) ?? '');
      if (uri) uriPage.set(uri[1], [...(uriPage.get(uri[1]) ?? []), index + 1]);
    }
  });
  return { pages: order.length, uriPage };
}

describe('the printable board in a real browser (headless Chromium): A4, rows never split across pages', () => {
  let stack: TestStack;
  let f: TownFixture;
  let period: string;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, RESIDENTS);
    const t = await bearers(stack.http, f);
    ({ period } = await publishMonth(
      stack,
      t,
      villageA(f, t),
      f.residentsA.map((residentId) => ({ residentId, itemCode: 'T10' })),
    ));
    await stack.api.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'board-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await stack?.close();
  });

  it('shows the Chinese board: title, masked names, totals; saves a screenshot', async () => {
    const res = await page.goto(`${base}/api/v1/public/boards/${f.villageA}/${period}.html`);
    expect(res?.status()).toBe(200);
    const [y, m] = period.split('-');
    expect(await page.title()).toBe(`东村${y}年${Number(m)}月信义积分公示`);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('h1').innerText()).toBe(`东村${y}年${Number(m)}月信义积分公示`);
    const names = await page.locator('table.entries tbody tr td:nth-child(2)').allInnerTexts();
    expect(names).toHaveLength(RESIDENTS);
    // Fixture names are 测试N (not all Han): masked to the first character plus stars.
    for (const n of names) expect(n).toMatch(/^测\*+$/);
    expect(await page.locator('p.totals').innerText()).toBe(`合计：共 ${RESIDENTS} 人、${RESIDENTS} 条；加分 +${RESIDENTS * 5}，扣分 0`);
    expect(await page.locator('.red tbody tr').count()).toBe(10);
    expect(await page.locator('body').innerText()).not.toMatch(/测试\d/);
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'board.png'), fullPage: true });
  });

  /**
   * Prints the page to PDF with test-only markers: a link at the top of each row (first cell)
   * and one at its bottom (pushed 30 mm down, so each row is tall and a careless break would
   * cut it), and one in the table header. Chromium turns each into a link annotation on the PDF
   * page where it is drawn, so the PDF itself tells which page(s) each row landed on.
   */
  async function printRows(extraCss = ''): Promise<{ pdf: Buffer; pages: number; rows: Array<{ top: number[]; bottom: number[] }>; header: number[] }> {
    await page.goto(`${base}/api/v1/public/boards/${f.villageA}/${period}.html`);
    await page.emulateMedia({ media: 'print' });
    // Run in the page (as a string: this project compiles without the DOM library).
    await page.evaluate(`(() => {
      document.querySelectorAll('table.entries tbody tr').forEach((tr, i) => {
        const cells = tr.querySelectorAll('td');
        cells[0].innerHTML = '<a href="https://row.test/' + i + '/top">' + cells[0].innerHTML + '</a>';
        cells[2].innerHTML = cells[2].innerHTML + '<a class="bottom" href="https://row.test/' + i + '/bottom">.</a>';
      });
      const th = document.querySelector('table.entries thead th');
      th.innerHTML = '<a href="https://row.test/header">' + th.innerHTML + '</a>';
    })()`);
    await page.addStyleTag({ content: `a.bottom { display: block; margin-top: 30mm; } ${extraCss}` });
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
    const { pages, uriPage } = linkPages(pdf);
    const rows = Array.from({ length: RESIDENTS }, (_, i) => ({ top: uriPage.get(`https://row.test/${i}/top`) ?? [], bottom: uriPage.get(`https://row.test/${i}/bottom`) ?? [] }));
    return { pdf, pages, rows, header: [...new Set(uriPage.get('https://row.test/header') ?? [])] };
  }

  it('prints on A4 over several pages with the header repeated and no row split across a page break', async () => {
    await page.emulateMedia({ media: 'print' });
    const css = (await page.evaluate(`({
      rows: [...document.querySelectorAll('table.entries tbody tr')].map((tr) => getComputedStyle(tr).breakInside),
      thead: getComputedStyle(document.querySelector('table.entries thead')).display,
    })`)) as { rows: string[]; thead: string };
    expect(new Set(css.rows)).toEqual(new Set(['avoid']));
    expect(css.thead).toBe('table-header-group');

    const { pdf, pages, rows, header } = await printRows();
    writeFileSync(join(ARTEFACTS, 'board.pdf'), pdf);
    expect(pages).toBeGreaterThanOrEqual(5); // 60 rows of ~40 mm: the check below spans many page breaks
    for (const [i, r] of rows.entries()) {
      expect(r.top, `row ${i} top`).toHaveLength(1);
      expect(r.bottom, `row ${i} is split across pages`).toEqual(r.top);
    }
    const pagesWithRows = [...new Set(rows.map((r) => r.top[0]))].sort((a, b) => a - b);
    expect(pagesWithRows.length).toBeGreaterThanOrEqual(5);
    // thead is a table-header-group: printed again on every page the table continues on.
    expect(header).toEqual(pagesWithRows);
    // Every page A4 in points (210 x 297 mm = 595.3 x 841.9; Chromium writes 594.96 x 841.92).
    const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(boxes).toHaveLength(pages);
    for (const [w, h] of boxes) {
      expect(Math.abs(w - 595.3)).toBeLessThan(1.5);
      expect(Math.abs(h - 841.9)).toBeLessThan(1.5);
    }
  });

  it('control: the same check does see split rows once break-inside is switched off', async () => {
    const { rows } = await printRows('tr { break-inside: auto !important; page-break-inside: auto !important; }');
    const split = rows.filter((r) => r.top.length === 1 && r.bottom.length === 1 && r.top[0] !== r.bottom[0]);
    expect(split.length).toBeGreaterThan(0);
  });
});

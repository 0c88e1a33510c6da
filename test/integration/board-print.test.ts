import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { launchChromium, linkPages } from '../support/browser';
import { bearers, seedTown, type TownFixture } from '../support/fixtures';
import { PERSONAL, personalise, publishMonth, villageA } from './board-helpers';

const RESIDENTS = 60;
const ROOT = join(__dirname, '..', '..');
const ARTEFACTS = join(ROOT, 'test-results');
const DOCS = join(ROOT, 'docs');

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
const GIVEN = ['建国', '秀英', '志强', '桂兰', '海燕', '明', '丽', '文华', '玉梅', '德胜', '小明', '大明'];
/** 60 distinct full names; with personalise's 李小明, the 李大明 at index 21 masks alike as 李*明. */
const chineseName = (i: number) => (i === 21 ? '李大明' : `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7 + Math.floor(i / SURNAMES.length)) % GIVEN.length]}`);

/** Decodes the QR code drawn in `selector` from a screenshot of it (jsQR over the PNG's RGBA pixels). */
async function decodeQr(page: Page, selector: string): Promise<string | null> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? null;
}

/**
 * The printable board in headless Chromium: numbered A4 pages (printed to PDF and counted), no
 * row split or clipped, QR codes that decode to the board and its objection page, the objection
 * page used on a phone, and no personal data on any of it.
 */
describe('the printed board and the objection page in a real browser (Chromium)', () => {
  let stack: TestStack;
  let f: TownFixture;
  let period: string;
  let base: string;
  let boardPath: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, RESIDENTS);
    // Codes and names as a real village has them (the screenshot in docs/ shows them): village DC
    // of town HOUYING, Chinese names with two 李*明 to tell apart, the fixture's personal data.
    await stack.db.query(`UPDATE towns SET code = 'HOUYING', name = '侯营镇' WHERE id = $1`, [f.townId]);
    await stack.db.query(`UPDATE villages SET code = 'DC' WHERE id = $1`, [f.villageA]);
    for (const [i, id] of f.residentsA.entries()) await stack.db.query(`UPDATE residents SET name = $2 WHERE id = $1`, [id, chineseName(i)]);
    await personalise(stack, f);
    const t = await bearers(stack.http, f);
    await request(stack.http).patch(`/api/v1/villages/${f.villageA}/board-settings`).set('authorization', t.town_admin).send({ committee: '东村村民委员会 东村信用议事会', contactPhone: '0631-8123456' }).expect(200);
    await request(stack.http).patch('/api/v1/towns/current/settings').set('authorization', t.town_admin).send({ contactPhone: '0631-8880000' }).expect(200);
    // A real-looking month: mostly +5, a few larger and a few deductions, with ties on both lists.
    const item = (i: number) => (i % 9 === 4 ? { itemCode: 'B02' } : i % 7 === 3 ? { itemCode: 'T57', points: 10, reason: '扑救火情' } : { itemCode: 'T10' });
    ({ period } = await publishMonth(
      stack,
      t,
      villageA(f, t),
      f.residentsA.map((residentId, i) => ({ residentId, ...item(i) })),
    ));
    const [codes] = await stack.db.query(`SELECT t.code AS town, v.code AS village FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id = $1`, [f.villageA]);
    boardPath = `/board/${codes.town}/${codes.village}/${period}`;
    await stack.api.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 1270 } });
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('prints on numbered A4 pages: as many PDF pages as sheets, each says 第 k 页 / 共 N 页, no row split or clipped', async () => {
    const res = await page.goto(`${base}${boardPath}`);
    expect(res?.status()).toBe(200);
    await page.emulateMedia({ media: 'print' });
    // Run in the page (as a string: this project compiles without the DOM library).
    const sheets = (await page.evaluate(`[...document.querySelectorAll('section.sheet')].map((s) => ({
      foot: s.querySelector('.page-no').textContent,
      overflow: s.scrollHeight - s.clientHeight,
      rows: s.querySelectorAll('tr.line').length,
    }))`)) as Array<{ foot: string; overflow: number; rows: number }>;
    const n = sheets.length;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(sheets.map((s) => s.foot)).toEqual(sheets.map((_, i) => `第 ${i + 1} 页 / 共 ${n} 页`));
    // Fixed-height sheets clip what would overflow: nothing may be there to clip.
    for (const [i, s] of sheets.entries()) expect(s.overflow, `sheet ${i + 1} overflows`).toBeLessThanOrEqual(0);
    expect(sheets.reduce((sum, s) => sum + s.rows, 0)).toBe(RESIDENTS);

    // Test-only markers: a link on each page number, and one at the top and one at the bottom of
    // each row. Chromium writes each as a link annotation on the PDF page it is drawn on.
    await page.evaluate(`(() => {
      document.querySelectorAll('section.sheet .page-no').forEach((el, i) => { el.innerHTML = '<a href="https://page.test/' + (i + 1) + '">' + el.innerHTML + '</a>'; });
      document.querySelectorAll('tr.line').forEach((tr, i) => {
        const cells = tr.querySelectorAll('td');
        cells[0].innerHTML = '<a href="https://row.test/' + i + '/top">' + cells[0].innerHTML + '</a>';
        cells[2].insertAdjacentHTML('beforeend', '<a href="https://row.test/' + i + '/bottom" style="display:block;height:1px;overflow:hidden">.</a>');
      });
    })()`);
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    writeFileSync(join(ARTEFACTS, 'board-a4.pdf'), pdf);
    const { pages, uriPage, mediaBoxes } = linkPages(pdf);
    expect(pages).toBe(n);
    for (let k = 1; k <= n; k++) expect(uriPage.get(`https://page.test/${k}`), `page number ${k}`).toEqual([k]);
    for (let i = 0; i < RESIDENTS; i++) {
      const top = uriPage.get(`https://row.test/${i}/top`) ?? [];
      expect(top, `row ${i}`).toHaveLength(1);
      expect(uriPage.get(`https://row.test/${i}/bottom`), `row ${i} split across pages`).toEqual(top);
    }
    expect(mediaBoxes).toHaveLength(n);
    for (const [w, h] of mediaBoxes) {
      expect(Math.abs(w - 595.3)).toBeLessThan(1.5);
      expect(Math.abs(h - 841.9)).toBeLessThan(1.5);
    }
  });

  it('the QR codes decode to the online board and its objection page (the request host without PUBLIC_BASE_URL)', async () => {
    await page.emulateMedia({ media: 'screen' });
    await page.goto(`${base}${boardPath}`);
    expect(await decodeQr(page, 'figure.qr-board svg')).toBe(`${base}${boardPath}`);
    expect(await decodeQr(page, 'figure.qr-objection svg')).toBe(`${base}${boardPath}/objection`);
    const text = await page.locator('body').innerText();
    expect(text).toContain('发布单位：东村村民委员会 东村信用议事会');
    expect(text).toContain('联系电话：0631-8123456');
    expect(text).toContain('监督电话：0631-8880000');
    expect(text).toContain('异议截止：');
    expect(text).toContain('（盖章处）');
    // No API address anywhere a resident reads.
    expect(await page.content()).not.toMatch(/\/api\/v1|POST \//);
    // Ties ranked equal on the red list (most totals are +5): a repeated place, then a skip.
    const places = (await page.locator('table.lists td.num.red').allInnerTexts()).map((p) => Number(/\d+/.exec(p)?.[0]));
    expect(places[0]).toBe(1);
    for (let i = 1; i < places.length; i++) expect(places[i] === places[i - 1] || places[i] === i + 1).toBe(true);
    expect(new Set(places).size).toBeLessThan(places.length);
    await page.setViewportSize({ width: 880, height: 1245 });
    await page.locator('section.sheet[data-page="1"]').screenshot({ path: join(DOCS, 'board-a4.png') });
    await page.locator('section.sheet').last().screenshot({ path: join(ARTEFACTS, 'board-a4-last.png') });
  });

  it('on a phone (360 px), the objection page from the QR files an objection by record number; errors show next to the field', async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, javaScriptEnabled: false });
    try {
      await page.goto(`${base}${boardPath}`);
      const url = (await decodeQr(page, 'figure.qr-objection svg')) as string;
      const recordNo = (await page.locator('tr.line td.rec').first().innerText()).trim();
      await phone.goto(url);
      expect(await phone.locator('h1').innerText()).toBe('对公示提出异议');
      // Nothing wider than the phone.
      expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      await phone.getByLabel('记录编号（必填）').fill(recordNo.toLowerCase());
      await phone.getByLabel('联系方式（可不填）').fill('1');
      await phone.getByRole('button', { name: '提交异议' }).click();
      // Two mistakes: each message right under its own field, the typed values kept.
      const reasonError = phone.locator('#f-reason-error');
      expect(await reasonError.innerText()).toContain('请写明哪里不对');
      expect(await phone.locator('#f-contact-error').innerText()).toContain('联系方式应为 3–60 个字符');
      const field = await phone.locator('#f-reason').boundingBox();
      const message = await reasonError.boundingBox();
      expect(message && field && message.y >= field.y + field.height && message.y - (field.y + field.height) < 20).toBe(true);
      expect(await phone.getByLabel('记录编号（必填）').inputValue()).toBe(recordNo.toLowerCase());
      await phone.screenshot({ path: join(DOCS, 'objection-page.png'), fullPage: true });
      await phone.getByLabel('哪里不对（必填）').fill('那天我在外地，不是我停的车');
      await phone.getByLabel('联系方式（可不填）').fill('');
      await phone.getByRole('button', { name: '提交异议' }).click();
      expect(await phone.locator('h1').innerText()).toBe('异议已提交');
      expect(await phone.locator('[data-objection-number]').innerText()).toBe(`${recordNo}-Y1`);
      await phone.screenshot({ path: join(ARTEFACTS, 'objection-filed.png'), fullPage: true });
      const [o] = await stack.db.query(`SELECT o.number, o.reason FROM objections o JOIN deed_entries e ON e.id = o.entry_id WHERE e.record_no = $1`, [recordNo]);
      expect(o).toEqual({ number: `${recordNo}-Y1`, reason: '那天我在外地，不是我停的车' });
      // The board now shows the line under objection.
      await page.goto(`${base}${boardPath}`);
      expect(await page.locator(`tr.line[data-record-no="${recordNo}"] td.status-disputed`).innerText()).toBe('异议处理中');
    } finally {
      await phone.close();
    }
  });

  it('privacy: the board (HTML and JSON) and the objection page carry no ID numbers, phones or full names of residents', async () => {
    const bodies = [
      (await request(stack.http).get(boardPath).expect(200)).text,
      (await request(stack.http).get(`${boardPath}/objection`).expect(200)).text,
      (await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}`).expect(200)).text,
      (await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}.html`).expect(200)).text,
    ].join('\n');
    const residents = await stack.db.query(`SELECT name, phone, id_last4 FROM residents WHERE village_id = $1`, [f.villageA]);
    expect(residents.length).toBe(RESIDENTS);
    expect(bodies).toContain('李*明（1）');
    expect(bodies).toContain('李*明（2）');
    // Ids and hashes are random hex: a resident's 4 digits could occur inside one by chance.
    const withoutIds = bodies.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}/g, '·');
    for (const r of residents as Array<{ name: string; phone: string | null; id_last4: string }>) {
      expect(bodies, r.name).not.toContain(r.name);
      if (r.phone) expect(bodies).not.toContain(r.phone);
    }
    for (const p of PERSONAL.slice(0, 4)) expect(withoutIds).not.toContain(p.idLast4);
    // Household numbers are personal data too: not printed unless the town turns them on.
    const [hh] = await stack.db.query(`SELECT h.code FROM residents r JOIN households h ON h.id = r.household_id WHERE r.village_id = $1 LIMIT 1`, [f.villageA]);
    expect(bodies).not.toContain(hh.code);
  });
});

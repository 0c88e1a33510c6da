import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { finalizeNow, publishMonth, villageA } from './board-helpers';

const ARTEFACTS = join(__dirname, '..', '..', 'test-results');
const VERIFIER = join(__dirname, '..', '..', 'web', 'src', 'lib', 'merkle-verify.ts');

/**
 * A small static page on the api's origin (routed by the test: 127.0.0.1 is a secure context,
 * so WebCrypto is there) that does what the resident page's 记录核验 section does: fetch the proof
 * from the real api, take the root a person types from the paper board, and check it with
 * web/src/lib/merkle-verify.ts (transpiled as is, no bundler) in Chromium.
 */
const PAGE = `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>记录核验</title>
<style>body{font:16px sans-serif;margin:16px;max-width:360px} .ok{color:#15803d;font-weight:bold} .bad{color:#b91c1c;font-weight:bold} code{word-break:break-all}</style></head>
<body>
<h1>记录核验</h1>
<p id="head">正在读取本户记录…</p>
<label for="root">公示栏上的核验码</label>
<input id="root" placeholder="例如 1a2b 3c4d 5e6f 7a8b">
<button type="button" id="check" disabled>核验</button>
<p id="result" role="status"></p>
<script type="module">
import { verifyProof } from './merkle-verify.js';
const q = new URLSearchParams(location.search);
const res = await fetch('/api/v1/ledger/proofs/' + q.get('resident'), { headers: { authorization: q.get('auth') } });
const proof = await res.json();
document.getElementById('head').textContent = '第 ' + proof.leaf.seq + ' 笔记录，链头 ' + proof.leaf.headHash.slice(0, 16) + '…（' + proof.villageName + ' ' + proof.period + '）';
const btn = document.getElementById('check');
btn.disabled = false;
btn.addEventListener('click', async () => {
  const out = document.getElementById('result');
  const r = await verifyProof(proof, document.getElementById('root').value);
  out.textContent = r.message;
  out.className = r.ok ? 'ok' : 'bad';
});
</script>
</body></html>`;

describe('记录核验 in a real browser: the WebCrypto verifier against the root printed on the board', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let base: string;
  let period: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
    ({ period } = await publishMonth(stack, t, villageA(f, t), f.residentsA.map((residentId) => ({ residentId, itemCode: 'T10' }))));
    await finalizeNow(stack, f.villageA, period);
    await stack.api.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(stack.api.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
    const js = ts.transpileModule(readFileSync(VERIFIER, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    await page.route(`${base}/__merkle/verify.html*`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE }));
    await page.route(`${base}/__merkle/merkle-verify.js`, (route) => route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: js }));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** The short form as a person reads it off the printed board. */
  async function rootFromBoard(): Promise<{ short: string; full: string }> {
    await page.goto(`${base}/api/v1/public/boards/${f.villageA}/${period}.html`);
    const short = (await page.locator('.checkpoint-short').innerText()).trim();
    const full = (await page.locator('.checkpoint-full .checkpoint').innerText()).trim();
    return { short, full };
  }

  async function check(residentId: string, typed: string): Promise<{ text: string; cls: string | null }> {
    await page.goto(`${base}/__merkle/verify.html?resident=${residentId}&auth=${encodeURIComponent(t.auditor)}`);
    await page.getByRole('button', { name: '核验' }).and(page.locator(':enabled')).waitFor();
    await page.getByLabel('公示栏上的核验码').fill(typed);
    await page.getByRole('button', { name: '核验' }).click();
    const status = page.getByRole('status');
    await status.filter({ hasText: /\S/ }).waitFor();
    return { text: await status.innerText(), cls: await status.getAttribute('class') };
  }

  it('shows 已核验 for a good proof and the short root typed from the board (and for the full root)', async () => {
    const { short, full } = await rootFromBoard();
    expect(short).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    expect(full.startsWith(short.replace(/ /g, ''))).toBe(true);
    for (const id of f.residentsA) {
      const r = await check(id, short.toUpperCase());
      expect(r.text).toContain('已核验');
      expect(r.cls).toBe('ok');
    }
    expect((await check(f.residentsA[0], full)).text).toBe('已核验：本账户记录包含在公示的核验码中');
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'merkle-verify-ok.png'), fullPage: true });
  });

  it('shows a clear failure for a wrong root and for a root too short to check', async () => {
    const { short } = await rootFromBoard();
    const wrong = (short[0] === '0' ? '1' : '0') + short.slice(1);
    const r = await check(f.residentsA[1], wrong);
    expect(r.cls).toBe('bad');
    expect(r.text).toMatch(/^核验失败：按本账户记录算出的核验码为 [0-9a-f ]+…，与公示栏上的 [0-9a-f ]+… 不符。/);
    expect(r.text).not.toContain('已核验');
    expect((await check(f.residentsA[1], '12ab')).text).toContain('核验码格式不对');
  });

  it("after a posting of the resident is rewritten in the database, the same page says 核验失败 against the board's root", async () => {
    const { short } = await rootFromBoard();
    const victim = f.residentsA[2];
    await stack.db.query(`ALTER TABLE postings DISABLE TRIGGER postings_append_only`);
    try {
      await stack.db.query(`UPDATE postings SET points = points + 50 WHERE account_id = $1 AND seq = 1`, [victim]);
    } finally {
      await stack.db.query(`ALTER TABLE postings ENABLE TRIGGER postings_append_only`);
    }
    const r = await check(victim, short);
    expect(r.cls).toBe('bad');
    expect(r.text).toContain('核验失败');
    expect(r.text).toContain('记录可能被改动');
    await page.screenshot({ path: join(ARTEFACTS, 'merkle-verify-failed.png'), fullPage: true });
    // A neighbour's record is untouched and still checks.
    expect((await check(f.residentsA[0], short)).cls).toBe('ok');
  });
});

// Mixed traffic at a steady rate against a running api + worker, then an audit of the ledger:
// nothing lost, nothing doubled. Run through scripts/soak.sh (it starts everything).
//   SOAK_MINUTES (default 10), SOAK_RATE requests/s (default 30), API_URL, DATABASE_URL
import { execFileSync } from 'node:child_process';
import pg from 'pg';

const api = process.env.API_URL;
const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const rate = Number(process.env.SOAK_RATE ?? 30);
const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();

async function call(method, path, { token, key, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['x-api-key'] = key;
  const res = await fetch(`${api}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* html */
  }
  return { status: res.status, body: json };
}
const login = async (username) => (await call('POST', '/api/v1/auth/login', { body: { username, password: 'xinyi-demo-2026' } })).body.accessToken;
const must = (r, what) => {
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

// ---- setup on the demo town: a terminal, funded residents, goods, and a published board ----
const admin = await login('admin');
const clerk = await login('clerk.dongcun');
const reviewer = await login('reviewer.dongcun');
const shopClerk = await login('shop.dongcun');
const village = must(await call('GET', '/api/v1/villages', { token: admin }), 'villages').find((v) => v.name === '东村');
const shop = must(await call('GET', '/api/v1/shops', { token: admin }), 'shops')[0];
const key = must(await call('POST', `/api/v1/shops/${shop.id}/terminals`, { token: admin, body: { name: 'soak' } }), 'terminal').apiKey;
const residents = must(await call('GET', `/api/v1/villages/${village.id}/residents?limit=200`, { token: admin }), 'residents');
const people = (residents.items ?? residents).filter((r) => r.status === 'active');
const funded = await db.query(`SELECT account_id FROM postings WHERE kind = 'opening_balance'`);
const already = new Set(funded.rows.map((r) => r.account_id));
const toFund = people.filter((p) => !already.has(p.id));
if (toFund.length) must(await call('POST', '/api/v1/ledger/opening-balances', { token: admin, body: { sourceDocument: 'soak', lines: toFund.map((p) => ({ residentId: p.id, points: 100000 })) } }), 'fund');
const goods = must(await call('POST', `/api/v1/shops/${shop.id}/goods`, { token: shopClerk, body: { name: `soak-${Date.now()}`, unit: '件', pricePoints: 3 } }), 'goods');
must(await call('POST', `/api/v1/goods/${goods.id}/stock`, { token: shopClerk, body: { kind: 'received', quantity: 1000000, reason: 'soak' } }), 'stock');
const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
const period = today.slice(0, 7);
const boardState = (await db.query(`SELECT state FROM review_cycles WHERE village_id = $1 AND period = $2`, [village.id, period])).rows[0]?.state;
if (!boardState || boardState === 'open') {
  for (const p of people.slice(0, 20)) must(await call('POST', `/api/v1/villages/${village.id}/entries`, { token: clerk, body: { residentId: p.id, itemCode: 'T10', occurredOn: today } }), 'entry');
  must(await call('POST', `/api/v1/villages/${village.id}/cycles/${period}/close`, { token: admin }), 'close');
  const sheet = must(await call('GET', `/api/v1/villages/${village.id}/cycles/${period}`, { token: reviewer }), 'sheet');
  must(await call('POST', `/api/v1/villages/${village.id}/cycles/${period}/meeting`, { token: reviewer, body: { heldOn: today, attendees: ['soak'], minutes: 'soak' } }), 'meeting');
  const decisions = sheet.entries.filter((e) => e.status === 'submitted').map((e) => ({ entryId: e.id, decision: 'approve' }));
  if (decisions.length) must(await call('POST', `/api/v1/villages/${village.id}/cycles/${period}/decisions`, { token: reviewer, body: { decisions } }), 'decide');
  must(await call('POST', `/api/v1/villages/${village.id}/cycles/${period}/publish`, { token: reviewer }), 'publish');
}
const startCounts = (await db.query(`SELECT (SELECT count(*)::int FROM redemptions) AS r, (SELECT count(*)::int FROM deed_entries) AS e, (SELECT count(*)::int FROM postings WHERE kind = 'redemption') AS p`)).rows[0];

// ---- steady mixed traffic ----
const tally = {};
const note = (kind, r) => {
  const k = `${kind} ${r.status}${r.body?.code ? ' ' + r.body.code : ''}`;
  tally[k] = (tally[k] ?? 0) + 1;
};
let n = 0;
const until = Date.now() + minutes * 60e3;
const inflight = new Set();
console.log(`soak: ${minutes} min at ${rate} req/s against ${api}`);
while (Date.now() < until) {
  const i = n++;
  const p = people[i % people.length];
  const kind = i % 10 < 4 ? 'redeem' : i % 10 < 7 ? 'entry' : 'board';
  const job =
    kind === 'redeem'
      ? call('POST', '/api/v1/terminal/redemptions', { key, body: { cardCode: p.cardCode, lines: [{ goodsId: goods.id, quantity: 1 }], idempotencyKey: `soak-${Date.now()}-${i}` } })
      : kind === 'entry'
        ? call('POST', `/api/v1/villages/${village.id}/entries`, { token: clerk, body: { residentId: p.id, itemCode: i % 2 ? 'T10' : 'B02', occurredOn: today } })
        : call('GET', `/api/v1/public/boards/${village.id}/${period}`);
  const tracked = job.then((r) => note(kind, r)).catch((e) => note(kind, { status: 0, body: { code: e.message } })).finally(() => inflight.delete(tracked));
  inflight.add(tracked);
  if (i % (rate * 30) === 0) console.log(`  ${new Date().toISOString()} sent ${i}, in flight ${inflight.size}`);
  await new Promise((r) => setTimeout(r, 1000 / rate));
}
await Promise.all(inflight);

// ---- audit: nothing lost, nothing doubled ----
const end = (await db.query(`SELECT (SELECT count(*)::int FROM redemptions) AS r, (SELECT count(*)::int FROM deed_entries) AS e, (SELECT count(*)::int FROM postings WHERE kind = 'redemption') AS p,
  (SELECT count(*)::int FROM (SELECT kind, source_ref FROM postings GROUP BY 1, 2 HAVING count(*) > 1) d) AS doubled,
  (SELECT count(*)::int FROM accounts a WHERE a.balance <> (SELECT coalesce(sum(points), 0) FROM postings p WHERE p.account_id = a.resident_id)) AS off`)).rows[0];
const ok201 = (kind) => Object.entries(tally).filter(([k]) => k.startsWith(`${kind} 201`)).reduce((s, [, v]) => s + v, 0);
const problems = [];
if (end.r - startCounts.r !== ok201('redeem')) problems.push(`redemptions stored ${end.r - startCounts.r} ≠ 201 answers ${ok201('redeem')}`);
if (end.p - startCounts.p !== end.r - startCounts.r) problems.push(`redemption postings ${end.p - startCounts.p} ≠ receipts ${end.r - startCounts.r}`);
if (end.e - startCounts.e !== ok201('entry')) problems.push(`entries stored ${end.e - startCounts.e} ≠ 201 answers ${ok201('entry')}`);
if (end.doubled) problems.push(`${end.doubled} sources posted twice`);
if (end.off) problems.push(`${end.off} accounts whose balance ≠ Σ postings`);
if (Object.keys(tally).some((k) => / 5\d\d| 0 /.test(k))) problems.push('server errors or transport failures (see tally)');
try {
  execFileSync('node', ['dist/src/database/cli.js', 'verify-ledger'], { stdio: 'inherit' });
} catch {
  problems.push('verify-ledger found broken chains');
}
console.log(JSON.stringify({ sent: n, tally }, null, 2));
await db.end();
if (problems.length) {
  console.log(`SOAK FAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`SOAK OK: ${n} requests over ${minutes} min; ledger verified, nothing lost, nothing doubled`);

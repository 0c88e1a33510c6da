// A stand-in for the SMS gateway in development: accepts the HMAC-signed batches of
// `notices.deliver`, checks the signature, prints each message once (a repeat of the same
// notice id, e.g. after a worker crash, is reported as a duplicate and not "sent" again).
//   node scripts/sms-sink.mjs [port] [--fail-every N]
//   then NOTICE_SMS_URL=http://127.0.0.1:<port>/sms
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? 56500);
const failEvery = Number(args[args.indexOf('--fail-every') + 1] ?? 0) || 0;
const secret = process.env.NOTICE_SMS_SECRET ?? 'dev-only-notice-sms-secret-0000';
const seen = new Set();
let requests = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const given = String(req.headers['x-xinyi-signature'] ?? '');
    const ok = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (!ok) return res.writeHead(401).end('bad signature');
    requests += 1;
    if (failEvery && requests % failEvery === 0) return res.writeHead(503).end('{"error":"sink told to fail"}');
    const { messages } = JSON.parse(body);
    for (const m of messages) {
      const dup = seen.has(m.id);
      seen.add(m.id);
      console.log(`${new Date().toISOString()} ${dup ? 'duplicate' : 'sms'} ${m.id} → ${String(m.phone).slice(0, 3)}****${String(m.phone).slice(-4)} (${m.text.length} chars): ${m.text}`);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: messages.length }));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`sms sink on http://127.0.0.1:${server.address().port}/sms`));

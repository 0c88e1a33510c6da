// A stand-in for the public credit information platform in development: accepts the
// HMAC-signed batches of `credit.export`, checks the signature and prints what arrived.
//   node scripts/credit-sink.mjs [port]      then CREDIT_EXPORT_URL=http://127.0.0.1:<port>/records
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 56400);
const secret = process.env.CREDIT_EXPORT_SECRET ?? 'dev-only-credit-export-secret-00';
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const given = String(req.headers['x-xinyi-signature'] ?? '');
    const ok = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (!ok) {
      res.writeHead(401).end('bad signature');
      return;
    }
    const { records } = JSON.parse(body);
    console.log(`${new Date().toISOString()} accepted ${records.length} records (outbox ${records[0]?.outboxId}…${records.at(-1)?.outboxId})`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: records.length }));
  });
}).listen(port, '127.0.0.1', () => console.log(`credit sink on http://127.0.0.1:${port}/records`));

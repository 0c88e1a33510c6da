// Interleaved rounds of the bare app on each adapter (app.cjs), 16 connections: requests per
// second and the app's CPU per request (/proc, all threads). One JSON line per adapter, route
// and round to the file named by argv[2]; medians on stdout.
const { fork } = require('node:child_process');
const { appendFileSync, readFileSync } = require('node:fs');
const { createServer } = require('node:net');
const autocannon = require('autocannon');

const out = process.argv[2];
const rounds = Number(process.env.ADAPTER_ROUNDS ?? 3);
const seconds = Number(process.env.ADAPTER_SECONDS ?? 8);
const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const load = (opts) => new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));
const ROUTES = [
  ['GET /live', { method: 'GET', path: '/live' }],
  ['POST /echo', { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1, b: 'x'.repeat(200) }) }],
];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

(async () => {
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    for (const adapter of ['express', 'fastify']) {
      const port = await freePort();
      // The api's deployed heap flags (scripts/api-node-options.sh).
      const child = fork(`${__dirname}/app.cjs`, [adapter, String(port)], { execArgv: ['--max-old-space-size=128', '--max-semi-space-size=8'] });
      await new Promise((resolve) => child.once('message', resolve));
      try {
        for (const [route, request] of ROUTES) {
          const url = `http://127.0.0.1:${port}`;
          await load({ url, connections: 16, duration: 2, requests: [request] });
          const cpu0 = cpuSeconds(child.pid);
          const r = await load({ url, connections: 16, duration: seconds, requests: [request] });
          if (r.non2xx || r.errors) throw new Error(`${adapter} ${route}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          const row = { round, adapter, route, reqPerS: r.requests.average, cpuMsPerReq: +(((cpuSeconds(child.pid) - cpu0) * 1000) / r['2xx']).toFixed(3) };
          rows.push(row);
          appendFileSync(out, `${JSON.stringify(row)}\n`);
          process.stderr.write(`${JSON.stringify(row)}\n`);
        }
      } finally {
        child.kill('SIGTERM');
      }
    }
  }
  console.log('| route | adapter | req/s (median) | CPU ms/req (median) |\n| --- | --- | --- | --- |');
  for (const [route] of ROUTES) {
    for (const adapter of ['express', 'fastify']) {
      const mine = rows.filter((x) => x.route === route && x.adapter === adapter);
      console.log(`| ${route} | ${adapter} | ${median(mine.map((x) => x.reqPerS))} | ${median(mine.map((x) => x.cpuMsPerReq))} |`);
    }
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});

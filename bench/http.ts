/** HTTP helpers of the harness: one-off requests (fetch) and load runs (autocannon). */
import autocannon from 'autocannon';
import PipelinedRequestsQueue from 'autocannon/lib/pipelinedRequestsQueue.js';
import { percentiles } from './lib';

/**
 * autocannon (9.0) appends every response body to a string (`body += chunk`, a UTF-8 decode of
 * each chunk) whether or not anyone reads it. For the board's 153 KB gzip answers that cost the
 * load generator ≈ 2.4 ms of CPU per response, on the same 2 cores as the api: the generator, not
 * the api, was the limit of `board-c16` (0.87–0.95 cores of "bench" in 20261202T025042Z,
 * 20261202T054515Z and 20261202T054929Z). The harness reads a body only to count a non-2xx answer's error `code`
 * (`onResponse` below), so a 2xx body is not kept: a bare server's 153 KB answers at 16
 * connections went from 2.4–2.6 to 0.07 ms of client CPU each (445 → 13,000+ req/s).
 * BENCH_KEEP_BODIES=1 leaves autocannon as shipped.
 */
function keepOnlyErrorBodies(): void {
  const proto = PipelinedRequestsQueue.prototype;
  const addBody = proto.addBody;
  proto.addBody = function (this: PipelinedRequestsQueue, data: unknown) {
    const status = this.peek()?.headers?.statusCode;
    if (status === undefined || status >= 300) addBody.call(this, data);
  };
}
// BENCH_KEEP_BODIES=1: autocannon as shipped (to measure the generator's own cost side by side).
if (process.env.BENCH_KEEP_BODIES !== '1') keepOnlyErrorBodies();

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  ms: number;
}

export async function http<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; apiKey?: string; json?: unknown; form?: FormData } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) body = opts.form;
  const t = performance.now();
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  const ms = performance.now() - t;
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, ms };
}

/** A logged-in staff member's access token (15 min): log in per scenario group, not once per run. */
export async function login(base: string, username: string, password: string): Promise<string> {
  const r = await http<{ accessToken?: string }>(base, 'POST', '/api/v1/auth/login', { json: { username, password } });
  if (r.status !== 200 || !r.body.accessToken) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.accessToken;
}

export interface LoadResult {
  connections: number;
  durationS: number;
  requests: number;
  ok: number;
  /** Responses per second that were 2xx. */
  okPerS: number;
  latencyMs: ReturnType<typeof percentiles>;
  /** Bytes per response as received (headers and body, before any inflating). */
  bytesPerReq: number;
  /** Count per HTTP status, and per error `code` for non-2xx. */
  statuses: Record<string, number>;
  codes: Record<string, number>;
  errors: number;
  timeouts: number;
}

/**
 * An autocannon run for `seconds` at `connections`; `next()` gives each request its path/body
 * (unique idempotency keys, rotating residents). Latencies are every response's time, recorded
 * here so p95 is exact (autocannon's own table stops at p90/p97.5).
 */
export async function load(opts: {
  base: string;
  connections: number;
  seconds: number;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  next: () => { path: string; body?: string };
}): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const first = opts.next();
  const inst = autocannon({
    url: opts.base,
    connections: opts.connections,
    duration: opts.seconds,
    timeout: 30,
    requests: [
      {
        method: opts.method,
        path: first.path,
        headers: opts.headers,
        body: first.body,
        setupRequest: (req) => {
          const n = opts.next();
          return { ...req, path: n.path, ...(n.body !== undefined ? { body: n.body } : {}) };
        },
        onResponse: (status, body) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 300) {
            let code = 'unparsed';
            try {
              code = String((JSON.parse(body) as { code?: string }).code ?? 'no-code');
            } catch {
              // keep 'unparsed'
            }
            codes[code] = (codes[code] ?? 0) + 1;
          }
        },
      },
    ],
  });
  let bytes = 0;
  inst.on('response', (_client: unknown, _status: number, resBytes: number, responseTime: number) => {
    latencies.push(responseTime);
    bytes += resBytes;
  });
  const res = await inst;
  const ok = Object.entries(statuses)
    .filter(([s]) => Number(s) >= 200 && Number(s) < 300)
    .reduce((a, [, n]) => a + n, 0);
  return {
    connections: opts.connections,
    durationS: res.duration,
    requests: latencies.length,
    ok,
    okPerS: Math.round(ok / res.duration),
    latencyMs: percentiles(latencies),
    bytesPerReq: latencies.length ? Math.round(bytes / latencies.length) : 0,
    statuses,
    codes,
    errors: res.errors,
    timeouts: res.timeouts,
  };
}

/** Sequential requests (one at a time) for at most `max` requests or `seconds`: what one user sees. */
export async function sequential(max: number, seconds: number, request: (i: number) => Promise<HttpResult>): Promise<{ latencyMs: ReturnType<typeof percentiles>; statuses: Record<string, number>; bytes: number }> {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  for (let i = 0; i < max && performance.now() < end; i++) {
    const r = await request(i);
    lat.push(r.ms);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    bytes = Math.max(bytes, typeof r.body === 'string' ? r.body.length : JSON.stringify(r.body).length);
  }
  return { latencyMs: percentiles(lat), statuses, bytes };
}

import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '@app/auth/auth.entities';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/** Fuzz runs per endpoint: × ~80 endpoints ≈ 2,500 requests per run of the file. */
const RUNS_PER_ENDPOINT = 30;

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; $ref?: string; enum?: unknown[] };
type Operation = { method: string; path: string; roles: Role[] | 'public' | 'terminal'; bodyProps: string[]; multipart: boolean; queryParams: string[] };

/** Everything that matters in the database, in one row: a 4xx must leave it as it was. */
const FINGERPRINT = `SELECT
  (SELECT count(*) FROM deed_entries) AS entries, (SELECT count(*) FROM entry_events) AS events,
  (SELECT count(*) FROM entry_states WHERE status <> 'submitted') AS decided, (SELECT count(*) FROM postings) AS postings,
  (SELECT coalesce(sum(balance), 0) FROM accounts) AS balances, (SELECT count(*) FROM residents) AS residents,
  (SELECT count(*) FROM households) AS households, (SELECT count(*) FROM villages) AS villages,
  (SELECT count(*) FROM staff_users WHERE active) AS staff, (SELECT count(*) FROM terminals WHERE revoked_at IS NULL) AS terminals,
  (SELECT count(*) FROM goods) AS goods, (SELECT coalesce(sum(stock), 0) FROM goods) AS stock, (SELECT count(*) FROM redemptions) AS redemptions,
  (SELECT count(*) FROM review_cycles WHERE state <> 'open') AS cycles, (SELECT count(*) FROM objections) AS objections,
  (SELECT count(*) FROM catalog_items) AS items, (SELECT count(*) FROM catalog_adoptions) AS adoptions,
  (SELECT count(*) FROM ledger_corrections) AS corrections, (SELECT count(*) FROM entry_batches) AS batches`;

/** Values of every wrong shape a client could send. */
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 2000, maxLength: 3000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e300, Number.MAX_SAFE_INTEGER + 2, -0),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 4 }),
  fc.object({ maxDepth: 2 }),
  fc.constantFrom('2026-13', '2026-02-30', '../../etc/passwd', "'; DROP TABLE postings; --", '<script>x</script>', '\u0000', '𠮷𠮷', 'T01', 'B01', '00000000-0000-4000-8000-000000000000'),
);

describe('fuzzing every endpoint: no 5xx, and a 4xx changes nothing', () => {
  let stack: TestStack;
  let f: TownFixture;
  let tokens: Record<FixtureUser, string>;
  let apiKey: string;
  let ops: Operation[];

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    tokens = await bearers(stack.http, f);
    apiKey = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', tokens.town_admin).send({ name: 'fuzz' }).expect(201)).body.apiKey;
    const doc = (await request(stack.http).get('/docs-json').expect(200)).body;
    const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop() as string] : s);
    ops = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const security = ((op.security as Array<Record<string, unknown>>) ?? []).map((s) => Object.keys(s)[0]);
        const roleList = op['x-roles'] as Role[] | undefined;
        const content = (op.requestBody as { content?: Record<string, { schema?: Schema }> })?.content ?? {};
        const json = resolve(content['application/json']?.schema);
        ops.push({
          method: method.toUpperCase(),
          path,
          roles: security.includes('terminal') ? 'terminal' : (roleList ?? 'public'),
          bodyProps: Object.keys(json?.properties ?? {}),
          multipart: 'multipart/form-data' in content,
          queryParams: ((op.parameters as Array<{ in: string; name: string }>) ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        });
      }
    }
  });
  afterAll(async () => stack?.close());

  it('sends thousands of malformed requests', async () => {
    const problems: string[] = [];
    let sent = 0;
    for (const op of ops) {
      const before = (await stack.db.query(FINGERPRINT))[0];
      let all4xx = true;
      const pathValues = op.path.match(/\{\w+\}/g) ?? [];
      const body = op.bodyProps.length ? fc.record(Object.fromEntries(op.bodyProps.map((k) => [k, junk])), { requiredKeys: [] }) : fc.object({ maxDepth: 1 });
      const sample = fc.sample(
        fc.record({
          body: fc.oneof(body, fc.record({ ...Object.fromEntries(op.bodyProps.map((k) => [k, junk])), [`extra_${Math.random().toString(36).slice(2, 6)}`]: junk })),
          query: fc.dictionary(fc.oneof(fc.constantFrom(...(op.queryParams.length ? op.queryParams : ['q'])), fc.string({ maxLength: 8 })), fc.string({ maxLength: 60 }), { maxKeys: 4 }),
          params: fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(f.villageA, f.villageOther, '2026-01', '0', 'T01', f.residentsA[0])), { minLength: pathValues.length, maxLength: pathValues.length }),
          bytes: fc.uint8Array({ maxLength: 2000 }),
          raw: fc.boolean(),
        }),
        { numRuns: RUNS_PER_ENDPOINT, seed: 20261123 + sent },
      );
      for (const s of sample) {
        let i = 0;
        const path = op.path.replace(/\{\w+\}/g, () => encodeURIComponent(s.params[i++] || 'x'));
        const m = op.method.toLowerCase() as 'get' | 'post' | 'patch';
        let req = request(stack.http)[m](path).query(s.query);
        if (op.roles === 'terminal') req = req.set('x-api-key', apiKey);
        else if (op.roles !== 'public') req = req.set('authorization', tokens[op.roles[0]]);
        let res: request.Response;
        if (op.method === 'GET') res = await req;
        else if (op.multipart) res = await req.attach('file', Buffer.from(s.bytes), s.raw ? 'x.xlsx' : 'x.csv');
        else if (s.raw) res = await req.set('content-type', 'application/json').send(Buffer.from(s.bytes).toString('latin1'));
        else res = await req.send(s.body as object);
        sent++;
        if (res.status >= 500) problems.push(`${op.method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        if (res.status < 400) all4xx = false;
        if (res.status >= 400 && res.status < 500 && typeof res.body?.code !== 'string' && !op.path.endsWith('.html')) {
          problems.push(`${op.method} ${path}: ${res.status} without an error code`);
        }
      }
      if (all4xx) {
        const after = (await stack.db.query(FINGERPRINT))[0];
        if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`${op.method} ${op.path}: state changed although every answer was 4xx`);
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(2000);
  });
});

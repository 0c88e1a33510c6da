import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '@app/auth/auth.entities';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser } from '../support/fixtures';

const ALL: Role[] = ['town_admin', 'village_clerk', 'village_reviewer', 'auditor', 'shop_clerk'];
/** 'resident': the phone page's token (x-resident-token); no staff identity or terminal key opens it. */
type Access = Role[] | 'public' | 'terminal' | 'resident';

/**
 * Who may call what: the specification, written by hand and reviewed. Every operation in the
 * OpenAPI document must appear here (and nothing else), so a new endpoint fails this test
 * until someone decides its access on purpose.
 */
const TABLE: Record<string, Access> = {
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/refresh': 'public',
  'POST /api/v1/auth/logout': 'public',
  'POST /api/v1/auth/password': ALL,
  'GET /api/v1/auth/me': ALL,
  'POST /api/v1/staff': ['town_admin'],
  'GET /api/v1/staff': ['town_admin', 'auditor'],
  'POST /api/v1/staff/{id}/deactivate': ['town_admin'],
  'POST /api/v1/staff/{id}/activate': ['town_admin'],
  'POST /api/v1/staff/{id}/password-reset': ['town_admin'],
  'POST /api/v1/shops/{shopId}/terminals': ['town_admin'],
  'GET /api/v1/shops/{shopId}/terminals': ['town_admin', 'auditor', 'shop_clerk'],
  'POST /api/v1/terminals/{id}/revoke': ['town_admin'],
  'POST /api/v1/shops/{shopId}/terminal-pairings': ['town_admin'],
  'POST /api/v1/terminals/pair': 'public',
  'GET /api/v1/terminal/me': 'terminal',
  'POST /api/v1/system/heartbeat': ['town_admin'],
  'GET /api/v1/system/heartbeat/{jobId}': ['town_admin'],
  'POST /api/v1/system/queue-dashboard/session': ['town_admin'],
  'GET /api/v1/towns/current': ALL,
  'PATCH /api/v1/towns/current/settings': ['town_admin'],
  'POST /api/v1/villages': ['town_admin'],
  'GET /api/v1/villages': ALL,
  'PATCH /api/v1/villages/{villageId}/board-settings': ['town_admin'],
  'POST /api/v1/villages/{villageId}/households': ['town_admin', 'village_clerk'],
  'GET /api/v1/villages/{villageId}/households': ['town_admin', 'village_clerk', 'village_reviewer', 'auditor'],
  'GET /api/v1/households/{id}': ['town_admin', 'village_clerk', 'village_reviewer', 'auditor'],
  'POST /api/v1/villages/{villageId}/residents': ['town_admin', 'village_clerk'],
  'GET /api/v1/villages/{villageId}/residents': ['town_admin', 'village_clerk', 'village_reviewer', 'auditor'],
  'GET /api/v1/residents': ['town_admin', 'auditor'],
  'GET /api/v1/residents/{id}': ['town_admin', 'village_clerk', 'village_reviewer', 'auditor'],
  'POST /api/v1/residents/{id}/status': ['town_admin', 'village_reviewer'],
  'POST /api/v1/villages/{villageId}/roster': ['town_admin', 'village_clerk'],
  'POST /api/v1/villages/{villageId}/roster/preview': ['town_admin', 'village_clerk'],
  'GET /api/v1/roster/template': ALL,
  'GET /api/v1/catalog/versions': ALL,
  'GET /api/v1/catalog/items': ALL,
  'GET /api/v1/catalog/items/{code}': ALL,
  'POST /api/v1/catalog/adoptions': ['town_admin'],
  'POST /api/v1/villages/{villageId}/items': ['town_admin', 'village_reviewer'],
  'POST /api/v1/villages/{villageId}/items/{itemId}/retire': ['town_admin', 'village_reviewer'],
  'GET /api/v1/villages/{villageId}/items': ALL,
  'POST /api/v1/villages/{villageId}/entries': ['village_clerk'],
  'POST /api/v1/villages/{villageId}/entries/preview': ['village_clerk'],
  'GET /api/v1/villages/{villageId}/entries': ['village_clerk', 'village_reviewer', 'town_admin', 'auditor'],
  'GET /api/v1/entries/template': ['village_clerk', 'village_reviewer', 'town_admin'],
  'GET /api/v1/entries/{id}': ['village_clerk', 'village_reviewer', 'town_admin', 'auditor'],
  'POST /api/v1/entries/{id}/withdraw': ['village_clerk'],
  'POST /api/v1/villages/{villageId}/entries/upload': ['village_clerk'],
  'POST /api/v1/villages/{villageId}/entries/upload/error-report': ['village_clerk'],
  'POST /api/v1/ledger/corrections': ['town_admin', 'village_reviewer'],
  'POST /api/v1/ledger/opening-balances': ['town_admin'],
  'POST /api/v1/ledger/year-end': ['town_admin'],
  'GET /api/v1/ledger/verify': ['auditor', 'town_admin'],
  'GET /api/v1/ledger/proofs/{residentId}': ['auditor', 'town_admin', 'village_clerk', 'village_reviewer'],
  'GET /api/v1/residents/{residentId}/statement': ['town_admin', 'auditor', 'village_clerk', 'village_reviewer'],
  'GET /api/v1/residents/{residentId}/statement.csv': ['town_admin', 'auditor', 'village_clerk', 'village_reviewer'],
  'GET /api/v1/residents/{residentId}/statement.xlsx': ['town_admin', 'auditor', 'village_clerk', 'village_reviewer'],
  'GET /api/v1/villages/{villageId}/cycles': ['village_clerk', 'village_reviewer', 'town_admin', 'auditor'],
  'GET /api/v1/villages/{villageId}/cycles/{period}': ['village_clerk', 'village_reviewer', 'town_admin', 'auditor'],
  'POST /api/v1/villages/{villageId}/cycles/{period}/close': ['town_admin'],
  'POST /api/v1/villages/{villageId}/cycles/{period}/reopen': ['town_admin'],
  'POST /api/v1/villages/{villageId}/cycles/{period}/meeting': ['village_reviewer'],
  'POST /api/v1/villages/{villageId}/cycles/{period}/decisions': ['village_reviewer'],
  'POST /api/v1/villages/{villageId}/cycles/{period}/publish': ['village_reviewer'],
  'POST /api/v1/public/boards/{villageId}/{period}/objections': 'public',
  'POST /api/v1/objections/{id}/answer': ['village_reviewer'],
  'GET /api/v1/objections': ['town_admin', 'auditor', 'village_reviewer'],
  'POST /api/v1/shops': ['town_admin'],
  'GET /api/v1/shops': ['town_admin', 'auditor', 'shop_clerk'],
  'POST /api/v1/shops/{shopId}/goods': ['town_admin', 'shop_clerk'],
  'GET /api/v1/shops/{shopId}/goods': ['town_admin', 'auditor', 'shop_clerk'],
  'GET /api/v1/shops/{shopId}/goods/low-stock': ['town_admin', 'auditor', 'shop_clerk'],
  'POST /api/v1/goods/{id}/stock': ['town_admin', 'shop_clerk'],
  'POST /api/v1/goods/{id}/deactivate': ['town_admin', 'shop_clerk'],
  'PATCH /api/v1/goods/{id}': ['town_admin', 'shop_clerk'],
  'POST /api/v1/goods/{id}/stock-count': ['town_admin', 'shop_clerk'],
  'POST /api/v1/shop-redemptions/{receiptNo}/void': ['shop_clerk'],
  'GET /api/v1/shops/{shopId}/reconciliation': ['town_admin', 'auditor', 'shop_clerk'],
  'GET /api/v1/towns/current/shop-reconciliation': ['town_admin', 'auditor'],
  'GET /api/v1/terminal/residents/{cardCode}': 'terminal',
  'GET /api/v1/terminal/goods': 'terminal',
  'POST /api/v1/terminal/redemptions': 'terminal',
  'POST /api/v1/terminal/redemptions/{receiptNo}/void': 'terminal',
  'GET /api/v1/terminal/receipts/{receiptNo}': 'terminal',
  'GET /api/v1/terminal/redemptions/today': 'terminal',
  'GET /api/v1/terminal/sales/today': 'terminal',
  'GET /api/v1/terminal/reconciliation': 'terminal',
  'GET /api/v1/credit-export/status': ['auditor', 'town_admin'],
  'POST /api/v1/credit-export/retry': ['town_admin'],
  'GET /api/v1/credit-export/months': ['auditor', 'town_admin'],
  'GET /api/v1/credit-export/failed': ['auditor', 'town_admin'],
  'GET /api/v1/notices/status': ['town_admin', 'auditor'],
  'POST /api/v1/notices/retry': ['town_admin'],
  'GET /api/v1/residents/{residentId}/notices': ['town_admin', 'village_clerk', 'village_reviewer', 'auditor'],
  'PUT /api/v1/residents/{residentId}/sms-consent': ['town_admin', 'village_clerk'],
  'GET /api/v1/public/boards/{villageId}/{period}.html': 'public',
  'GET /api/v1/public/boards/{villageId}/{period}': 'public',
  'GET /api/v1/public/villages/{villageId}/boards': 'public',
  'GET /api/v1/public/villages': 'public',
  'GET /api/v1/towns/current/boards-overview': ['town_admin', 'auditor'],
  'GET /api/v1/towns/current/dashboard': ['town_admin', 'auditor'],
  'GET /api/v1/audit/postings': ['auditor', 'town_admin'],
  'GET /api/v1/audit/postings.csv': ['auditor', 'town_admin'],
  'GET /api/v1/audit/postings.xlsx': ['auditor', 'town_admin'],
  'GET /api/v1/audit/residents/{residentId}/statement': ['auditor', 'town_admin'],
  'GET /api/v1/audit/timeliness': ['auditor', 'town_admin'],
  'GET /api/v1/audit/timeliness.csv': ['auditor', 'town_admin'],
  'GET /api/v1/audit/timeliness.xlsx': ['auditor', 'town_admin'],
  'GET /api/v1/audit/checkpoints': ['auditor', 'town_admin'],
  'GET /api/v1/audit/verify': ['auditor', 'town_admin'],
  'GET /api/v1/audit/log': ['auditor', 'town_admin'],
  'POST /api/v1/residents/{residentId}/access-token': ['village_clerk', 'town_admin'],
  'POST /api/v1/residents/{residentId}/access-token/revoke': ['village_clerk', 'town_admin'],
  'POST /api/v1/villages/{villageId}/card-sheet': ['village_clerk', 'town_admin'],
  'GET /api/v1/resident/me': 'resident',
  'GET /api/v1/resident/me/statement': 'resident',
  'GET /api/v1/resident/me/board': 'resident',
  'GET /api/v1/resident/me/proof': 'resident',
};

/** Plausible path values: random ids (nothing real is touched), well-formed codes. */
const PARAM: Record<string, string> = {
  id: '00000000-0000-4000-8000-0000000000a1',
  villageId: '00000000-0000-4000-8000-0000000000a2',
  shopId: '00000000-0000-4000-8000-0000000000a3',
  residentId: '00000000-0000-4000-8000-0000000000a4',
  period: '2026-01',
  jobId: 'heartbeat-00000000',
  code: 'T01',
  cardCode: 'ZZZZZZ99',
  receiptNo: 'S1-20260101-000001',
  itemId: '00000000-0000-4000-8000-0000000000a5',
};

type Identity = 'none' | 'terminal' | Role;
const DENIED = (res: request.Response) => res.status === 401 || res.body?.code === 'AUTH.FORBIDDEN';

describe('authorisation: every endpoint × every role, no credentials and a terminal key', () => {
  let stack: TestStack;
  let tokens: Record<FixtureUser, string>;
  let apiKey: string;
  let operations: string[];

  beforeAll(async () => {
    stack = await startStack();
    const f = await seedTown(stack.db, 1);
    tokens = await bearers(stack.http, f);
    apiKey = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', tokens.town_admin).send({ name: 'authz' }).expect(201)).body.apiKey;
    const doc = (await request(stack.http).get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  });
  afterAll(async () => stack?.close());

  it('the table covers exactly the endpoints that exist', () => {
    expect(operations.filter((op) => !(op in TABLE)), 'endpoints missing from the access table').toEqual([]);
    expect(Object.keys(TABLE).filter((op) => !operations.includes(op)), 'table rows for endpoints that no longer exist').toEqual([]);
  });

  it('allows exactly the listed roles, and answers the rest 401/403 with a stable code', async () => {
    const identities: Identity[] = ['none', 'terminal', ...ALL];
    const failures: string[] = [];
    for (const op of operations) {
      const [method, template] = op.split(' ');
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => PARAM[name] ?? 'x');
      const access = TABLE[op];
      for (const who of identities) {
        let req = request(stack.http)[method.toLowerCase() as 'get'](path);
        if (who === 'terminal') req = req.set('x-api-key', apiKey);
        else if (who !== 'none') req = req.set('authorization', tokens[who]);
        const res = method === 'GET' ? await req : await req.send({});
        const allowed = access === 'public' || (access === 'terminal' ? who === 'terminal' : access !== 'resident' && who !== 'none' && who !== 'terminal' && access.includes(who));
        const expectedDenyCode =
          access === 'resident' ? 'RESIDENT.TOKEN_INVALID' : access === 'terminal' ? 'AUTH.INVALID_API_KEY' : who === 'none' || who === 'terminal' ? 'AUTH.UNAUTHENTICATED' : 'AUTH.FORBIDDEN';
        if (allowed && DENIED(res)) failures.push(`${op} as ${who}: expected allowed, got ${res.status} ${res.body?.code}`);
        if (!allowed && res.body?.code !== expectedDenyCode) failures.push(`${op} as ${who}: expected ${expectedDenyCode}, got ${res.status} ${res.body?.code}`);
        if (res.status >= 500) failures.push(`${op} as ${who}: ${res.status} ${res.body?.code}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

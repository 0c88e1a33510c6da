import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { actorOf } from '@app/common/logging.module';
import type { Principal } from './principal';

// The logger declares its own LoggedActor so common/ does not import auth/: a Principal must fit
// it as it is (this file would not compile otherwise), and the log line says who acted.
describe('actorOf (the request log line) on an auth principal', () => {
  const request = (principal?: Principal) => Object.assign({} as IncomingMessage, { principal });

  it('logs a staff user by id and role', () => {
    const staff: Principal = { kind: 'staff', id: 'u1', username: 'li.clerk', role: 'village_clerk', townId: 't1', villageId: 'v1', shopId: null };
    expect(actorOf(request(staff))).toEqual({ user: { id: 'u1', role: 'village_clerk' } });
  });

  it('logs a terminal by id and shop, and nothing for a public request', () => {
    const terminal: Principal = { kind: 'terminal', id: 'k1', townId: 't1', shopId: 's1', name: '一号收银台', requiresClerk: false };
    expect(actorOf(request(terminal))).toEqual({ terminal: { id: 'k1', shopId: 's1' } });
    expect(actorOf(request())).toEqual({});
  });
});

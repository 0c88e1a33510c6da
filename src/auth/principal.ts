import type { Role } from './auth.entities';

export interface StaffPrincipal {
  kind: 'staff';
  id: string;
  username: string;
  role: Role;
  townId: string;
  villageId: string | null;
  shopId: string | null;
}

export interface TerminalPrincipal {
  kind: 'terminal';
  id: string;
  townId: string;
  shopId: string;
}

export type Principal = StaffPrincipal | TerminalPrincipal;

/** Who is acting and under which request id: passed from controllers into services. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
}

/** For public endpoints (board, objections): no principal. */
export interface PublicContext {
  requestId: string;
  clientIp: string;
}

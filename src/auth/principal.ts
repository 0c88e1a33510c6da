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
  /** The shop clerk signed in at the till (a bearer token sent with the key), when there is one. */
  clerkId?: string | null;
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

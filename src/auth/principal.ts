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
  /** The terminal's name (on receipts). */
  name: string;
  /** A paired browser till: its requests need a signed-in clerk of the shop as well. */
  requiresClerk: boolean;
  /** The shop clerk whose bearer token came with the key, if any (checked: active, this shop). */
  clerk?: TillClerk | null;
}

export interface TillClerk {
  id: string;
  username: string;
  displayName: string;
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

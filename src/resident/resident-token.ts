import { randomBytes } from 'node:crypto';
import { sha256 } from '@app/auth/api-key';

/**
 * A resident's access token: the secret behind the personal QR on the points card. 18 random
 * bytes (144 bits) as base64url, 24 characters: unguessable, url-safe, short enough for a small
 * QR. It is not derived from anything about the resident (never the card code, never the ID
 * number), and only its SHA-256 is stored, so the database cannot hand it out again: a lost or
 * leaked card is answered by reissuing (a new token, the old one dead at once).
 */
export const RESIDENT_TOKEN_BYTES = 18;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{24}$/;

/** The header the phone page sends the token in (never in the request path, so never in access logs). */
export const RESIDENT_TOKEN_HEADER = 'x-resident-token';

/** Where the phone page lives; the token goes after `#`, which browsers never send to a server. */
export const RESIDENT_PAGE_PREFIX = '/r/';

export function newResidentToken(): string {
  return randomBytes(RESIDENT_TOKEN_BYTES).toString('base64url');
}

export function isResidentTokenShape(s: unknown): s is string {
  return typeof s === 'string' && TOKEN_SHAPE.test(s);
}

/** Only this is stored; the prefix keeps it apart from any other sha256 of the same string. */
export function residentTokenHash(token: string): string {
  return sha256(`resident:${token}`);
}

/** The link printed as the personal QR (relative: the console puts its own origin in front). */
export function residentPagePath(token: string): string {
  return `${RESIDENT_PAGE_PREFIX}#${token}`;
}

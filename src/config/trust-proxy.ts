import { isIP } from 'node:net';

const PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY as Fastify's `trustProxy` takes it (and Express's `trust proxy` did). Which hops may set X-Forwarded-For decides
 * which client address the login and objection rate limits (and the audit log) see: trusting too
 * much lets any client pick its own address; trusting too little makes every client the proxy.
 *   false            no proxy: the socket's peer is the client
 *   1 … 10           that many proxies in front (the address that many hops back)
 *   a list           comma-separated presets (loopback, linklocal, uniquelocal), IPs or CIDRs
 * `true` (trust anyone) is refused on purpose. Returns null for a value that is none of these.
 */
export function parseTrustProxy(raw: string): false | number | string[] | null {
  const value = raw.trim();
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 10 ? hops : null;
  }
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !isTrustEntry(p))) return null;
  return parts;
}

function isTrustEntry(p: string): boolean {
  if (PRESETS.has(p)) return true;
  const [addr, bits, extra] = p.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

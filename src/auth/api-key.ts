import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Terminal API keys: `xt_<prefix>_<secret>`; the prefix finds the row, the hash proves it. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('hex');
  const key = `xt_${prefix}_${randomBytes(24).toString('base64url')}`;
  return { key, prefix, hash: sha256(key) };
}

export function parseApiKey(key: string): { prefix: string } | null {
  const m = /^xt_([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/.exec(key);
  return m ? { prefix: m[1] } : null;
}

export function apiKeyMatches(key: string, hash: string): boolean {
  const a = Buffer.from(sha256(key), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

import { describe, expect, it } from 'vitest';
import { validateEnv } from './env.schema';
import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it('takes false, a hop count, presets, addresses and CIDRs', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback')).toEqual(['loopback']);
    expect(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8, 192.168.1.5')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.5']);
  });

  it('refuses true, zero or too many hops, and anything that is not an address', () => {
    for (const bad of ['true', '0', '11', '', 'proxy.example', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/1', 'loopback,', '1.2.3']) {
      expect([bad, parseTrustProxy(bad)]).toEqual([bad, null]);
    }
  });

  it('is validated with the environment: default loopback, a bad value names the variable', () => {
    expect(validateEnv({}).TRUST_PROXY).toBe('loopback');
    expect(validateEnv({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe('1');
    expect(() => validateEnv({ TRUST_PROXY: 'true' })).toThrow(/invalid environment variable TRUST_PROXY="true"/);
  });
});

import { describe, expect, it } from 'vitest';
import { EnvValidationError, validateEnv } from './env.schema';

describe('validateEnv', () => {
  it('gives working local defaults for an empty environment', () => {
    const env = validateEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.*127\.0\.0\.1/);
    expect(env.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1/);
  });

  it('converts numeric strings', () => {
    expect(validateEnv({ PORT: '8080', DATABASE_POOL_SIZE: '5' })).toMatchObject({ PORT: 8080, DATABASE_POOL_SIZE: 5 });
  });

  it('names each bad variable on its own line and hides secrets', () => {
    try {
      validateEnv({ PORT: 'x', REDIS_URL: 'http://nope', JWT_SECRET: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvValidationError);
      const lines = (err as Error).message.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines.join('\n')).toMatch(/PORT="x"/);
      expect(lines.join('\n')).toMatch(/REDIS_URL="http:\/\/nope"/);
      expect(lines.join('\n')).toMatch(/JWT_SECRET=\(hidden\)/);
      expect(lines.join('\n')).not.toContain('short');
    }
  });

  it('refuses the dev secrets in production', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: the dev default must be replaced/);
  });

  it('ignores unrelated variables', () => {
    expect(() => validateEnv({ PATH: '/bin', HOME: '/root' })).not.toThrow();
  });
});

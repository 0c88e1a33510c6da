import { describe, expect, it } from 'vitest';
import { EnvValidationError, validateEnv } from './env.schema';

describe('validateEnv', () => {
  it('gives working local defaults for an empty environment', () => {
    const env = validateEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.*127\.0\.0\.1/);
    expect(env.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1/);
  });

  it('PUBLIC_BASE_URL: a URL without a trailing slash; empty means unset', () => {
    expect(validateEnv({ PUBLIC_BASE_URL: 'https://xinyi.example.gov.cn' }).PUBLIC_BASE_URL).toBe('https://xinyi.example.gov.cn');
    expect(validateEnv({ PUBLIC_BASE_URL: '' }).PUBLIC_BASE_URL).toBeUndefined();
    expect(() => validateEnv({ PUBLIC_BASE_URL: 'https://xinyi.example.gov.cn/' })).toThrow(/PUBLIC_BASE_URL.*no trailing slash/);
    expect(() => validateEnv({ PUBLIC_BASE_URL: 'xinyi.example.gov.cn' })).toThrow(/PUBLIC_BASE_URL/);
  });

  it('QUEUE_PREFIX takes a Redis Cluster hash tag (docs/ARCHITECTURE.md, sharding by town)', () => {
    expect(validateEnv({ QUEUE_PREFIX: '{xinyi}' }).QUEUE_PREFIX).toBe('{xinyi}');
    expect(() => validateEnv({ QUEUE_PREFIX: 'xinyi:prod' })).toThrow(/QUEUE_PREFIX/);
  });

  it('LEDGER_VERIFY_WORKERS: unset or 0–16; a bad value stops the start instead of being ignored by the verifier', () => {
    expect(validateEnv({}).LEDGER_VERIFY_WORKERS).toBeUndefined();
    expect(validateEnv({ LEDGER_VERIFY_WORKERS: '' }).LEDGER_VERIFY_WORKERS).toBeUndefined();
    expect(validateEnv({ LEDGER_VERIFY_WORKERS: '0', LEDGER_VERIFY_WORKER_MIN_POSTINGS: '0' })).toMatchObject({ LEDGER_VERIFY_WORKERS: 0, LEDGER_VERIFY_WORKER_MIN_POSTINGS: 0 });
    expect(validateEnv({}).LEDGER_VERIFY_WORKER_MIN_POSTINGS).toBe(20_000);
    expect(() => validateEnv({ LEDGER_VERIFY_WORKERS: 'two' })).toThrow(/LEDGER_VERIFY_WORKERS/);
    expect(() => validateEnv({ LEDGER_VERIFY_WORKERS: '64' })).toThrow(/LEDGER_VERIFY_WORKERS/);
    expect(() => validateEnv({ LEDGER_VERIFY_WORKER_MIN_POSTINGS: '-1' })).toThrow(/LEDGER_VERIFY_WORKER_MIN_POSTINGS/);
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

  it('logs are json unless asked, and always json in production', () => {
    expect(validateEnv({}).LOG_FORMAT).toBe('json');
    expect(validateEnv({ LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(() => validateEnv({ LOG_FORMAT: 'fancy' })).toThrow(/LOG_FORMAT="fancy"/);
    const secrets = { JWT_SECRET: 'x'.repeat(32), ID_HASH_SECRET: 'y'.repeat(32), CREDIT_EXPORT_SECRET: 'z'.repeat(32) };
    expect(() => validateEnv({ NODE_ENV: 'production', LOG_FORMAT: 'pretty', ...secrets })).toThrow(/LOG_FORMAT: production logs are json/);
    expect(validateEnv({ NODE_ENV: 'production', ...secrets }).LOG_FORMAT).toBe('json');
  });

  it('takes an SMS gateway URL and asks for a real key for it in production only when one is set', () => {
    const secrets = { JWT_SECRET: 'x'.repeat(32), ID_HASH_SECRET: 'y'.repeat(32), CREDIT_EXPORT_SECRET: 'z'.repeat(32) };
    expect(validateEnv({ NODE_ENV: 'production', ...secrets }).NOTICE_SMS_URL).toBeUndefined();
    expect(validateEnv({ NODE_ENV: 'production', NOTICE_SMS_URL: '', ...secrets }).NOTICE_SMS_URL).toBeUndefined();
    expect(() => validateEnv({ NODE_ENV: 'production', NOTICE_SMS_URL: 'https://sms.example.cn/send', ...secrets })).toThrow(/NOTICE_SMS_SECRET: the dev default must be replaced/);
    expect(validateEnv({ NODE_ENV: 'production', NOTICE_SMS_URL: 'https://sms.example.cn/send', NOTICE_SMS_SECRET: 's'.repeat(32), ...secrets }).NOTICE_SMS_URL).toBe('https://sms.example.cn/send');
    expect(() => validateEnv({ NOTICE_SMS_URL: 'not a url' })).toThrow(/NOTICE_SMS_URL="not a url"/);
    expect(() => validateEnv({ NOTICE_SMS_SECRET: 'short' })).toThrow(/NOTICE_SMS_SECRET=\(hidden\)/);
    expect(() => validateEnv({ NOTICE_SMS_TIMEOUT_MS: '10' })).toThrow(/NOTICE_SMS_TIMEOUT_MS="10"/);
    expect(validateEnv({}).NOTICE_QUIET_HOURS).toBe('21-8');
    expect(validateEnv({ NOTICE_QUIET_HOURS: '22-7' }).NOTICE_QUIET_HOURS).toBe('22-7');
    expect(() => validateEnv({ NOTICE_QUIET_HOURS: '21:00-08:00' })).toThrow(/NOTICE_QUIET_HOURS="21:00-08:00"/);
  });

  it('XINYI_PROCESS says which process this is: api unless the entry point says otherwise', () => {
    expect(validateEnv({}).XINYI_PROCESS).toBe('api');
    expect(validateEnv({ XINYI_PROCESS: 'worker' }).XINYI_PROCESS).toBe('worker');
    expect(validateEnv({ XINYI_PROCESS: 'openapi' }).XINYI_PROCESS).toBe('openapi');
    expect(() => validateEnv({ XINYI_PROCESS: 'wroker' })).toThrow(/XINYI_PROCESS="wroker"/);
  });

  it('ignores unrelated variables', () => {
    expect(() => validateEnv({ PATH: '/bin', HOME: '/root' })).not.toThrow();
  });
});

import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  validateSync,
} from 'class-validator';
import { parseQuietHours } from '@app/notices/quiet-hours';
import { parseTrustProxy } from './trust-proxy';

/**
 * Every environment variable the service reads, with defaults that work on a developer machine
 * started by scripts/services.sh (ports 55432 / 56379). Validated once at boot: a bad value stops
 * the process with one line naming the variable, rather than failing later in a request.
 */
export class EnvVars {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  /**
   * Which process this is. Set by the entry point before any module loads (src/main.ts `api`,
   * src/worker.ts `worker`, scripts/openapi.sh `openapi`), not by operators; unset (tests, the
   * database CLI) is `api`. Only the worker installs the job schedulers; logs carry it as `service`.
   */
  @IsIn(['api', 'worker', 'openapi'])
  XINYI_PROCESS: 'api' | 'worker' | 'openapi' = 'api';

  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  /**
   * How many api processes share PORT (node:cluster; 1 = this process serves). A process that dies
   * is replaced; state they must agree on lives in PostgreSQL and Redis (docs/ARCHITECTURE.md).
   */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(64)
  API_PROCESSES = 1;

  /**
   * Which proxies may tell the client address (X-Forwarded-For): `false`, a hop count 1–10, or a
   * list of loopback / linklocal / uniquelocal / IPs / CIDRs. Rate limits key on that address.
   */
  @ValidateBy({
    name: 'trustProxy',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && parseTrustProxy(v) !== null,
      defaultMessage: () => 'false, a hop count 1-10, or a comma-separated list of loopback/linklocal/uniquelocal/IP/CIDR (never true)',
    },
  })
  TRUST_PROXY = 'loopback';

  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:55432/xinyi';

  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 20;

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:56379/0';

  /** BullMQ key prefix; tests give each file its own so parallel files never share jobs. */
  @Matches(/^[A-Za-z0-9_{}-]+$/, { message: 'letters, digits, _ - { } only' })
  QUEUE_PREFIX = 'xinyi';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `json` (one object per line, for collectors) or `pretty` (people; `npm run dev`, not production). */
  @IsIn(['json', 'pretty'])
  LOG_FORMAT: 'json' | 'pretty' = 'json';

  /** JSON body limit, in bytes-parser notation (e.g. 256kb, 1mb). */
  @Matches(/^\d+(kb|mb)$/, { message: 'like 256kb or 1mb' })
  BODY_LIMIT = '1mb';

  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

  @IsString()
  @MinLength(16)
  JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789';

  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(60)
  @Max(86400)
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(3600)
  @Max(90 * 86400)
  JWT_REFRESH_TTL_SECONDS = 7 * 86400;

  /** Login attempts per client IP per minute (then 429 RATE.LIMITED). */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(100000)
  LOGIN_RATE_LIMIT_PER_MINUTE = 10;

  /** Public objections per client IP per minute (then 429 RATE.LIMITED). */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(100000)
  OBJECTION_RATE_LIMIT_PER_MINUTE = 5;

  /**
   * Group commit of redemptions (src/shop/redemption-batcher.ts): at most this many batches of
   * one-statement redemptions in flight per api process; what arrives meanwhile waits and goes
   * in the next batch, in one transaction and one commit. 0 = off (each its own statement).
   */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(0)
  @Max(64)
  REDEEM_BATCH_IN_FLIGHT = 2;

  /** Most redemptions in one batch (each is a savepoint; PostgreSQL caches 64 subtransactions per transaction). */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(60)
  REDEEM_BATCH_MAX = 32;

  /** How long one redemption in a batch may wait on a row lock before it leaves the batch and runs on its own. */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(60_000)
  REDEEM_BATCH_LOCK_TIMEOUT_MS = 100;

  /** How long a rendered public board (JSON/HTML) is reused; 0 = render every time. */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(0)
  @Max(60_000)
  BOARD_CACHE_MS = 5_000;

  /** Key of the HMAC that stores national ID numbers (only hash + last 4 are kept). */
  @IsString()
  @MinLength(16)
  ID_HASH_SECRET = 'dev-only-id-hash-secret-change-me';

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  CREDIT_EXPORT_URL?: string;

  /** A streaming standby of DATABASE_URL for public boards, auditors' searches and statements; unset = the primary reads too. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_REPLICA_URL?: string;

  /**
   * Where residents reach the public pages, e.g. https://xinyi.example.gov.cn (no trailing
   * slash): the base of the addresses printed as QR codes on the board. Unset = the request's
   * own scheme and host (right behind a proxy only with TRUST_PROXY set).
   */
  @Transform(({ value }) => (value === '' ? undefined : value))
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @Matches(/^[^?#]*[^/?#]$/, { message: 'no trailing slash, query or fragment' })
  PUBLIC_BASE_URL?: string;

  /** Bearer token a Prometheus scraper sends to GET /metrics (api) and the worker's metrics port; unset = no /metrics. */
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;

  /** The worker's own listen port for /metrics and /health/live (on HOST); unset = none. */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  @IsString()
  @MinLength(16)
  CREDIT_EXPORT_SECRET = 'dev-only-credit-export-secret-00';

  /** The SMS gateway that sends residents' notices (POST, HMAC-signed batches); unset = notices are kept, none sent. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  NOTICE_SMS_URL?: string;

  /** Key of the HMAC-SHA256 signature (`x-xinyi-signature`) on every request to the SMS gateway. */
  @IsString()
  @MinLength(16)
  NOTICE_SMS_SECRET = 'dev-only-notice-sms-secret-0000';

  /** No SMS in these whole hours, Asia/Shanghai, "from-until" (default 21-8: 21:00–08:00); notices are held, then sent. */
  @ValidateBy({
    name: 'quietHours',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && parseQuietHours(v) !== null,
      defaultMessage: () => 'whole hours from-until in Asia/Shanghai, e.g. 21-8 (from and until differ)',
    },
  })
  NOTICE_QUIET_HOURS = '21-8';

  /** How long the SMS gateway gets to answer a batch; a claimed notice is leased for twice this. */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(500)
  @Max(120_000)
  NOTICE_SMS_TIMEOUT_MS = 10_000;

  /** How long a worker's lock on a job lasts; a killed worker's job is retried after it lapses. */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1000)
  @Max(600_000)
  WORKER_LOCK_DURATION_MS = 30_000;

  /** After SIGTERM, how long shutdown may take before the process exits anyway (code 1). */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 30_000;

  /** Worker concurrency per queue. */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 4;

  /**
   * Worker threads of a chain verification (unset: the machine's cores; 0: the calling thread).
   * Read by LedgerVerifier itself, which the CLI also builds outside Nest; declared here so a bad
   * value stops the process at start instead of being ignored.
   */
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(0)
  @Max(16)
  LEDGER_VERIFY_WORKERS?: number;

  /** A town with fewer postings is verified in the calling thread (starting threads costs more). */
  @Transform(({ value }) => (value === undefined ? value : Number(value)))
  @IsInt()
  @Min(0)
  LEDGER_VERIFY_WORKER_MIN_POSTINGS = 20_000;
}

export class EnvValidationError extends Error {}

/** Returns the validated, typed environment or throws one line per bad variable. */
export function validateEnv(raw: Record<string, unknown>): EnvVars {
  const present = Object.fromEntries(
    Object.entries(raw).filter(([k, v]) => k in new EnvVars() || (['CREDIT_EXPORT_URL', 'NOTICE_SMS_URL', 'DATABASE_REPLICA_URL', 'METRICS_TOKEN', 'METRICS_PORT', 'PUBLIC_BASE_URL', 'LEDGER_VERIFY_WORKERS'].includes(k) && v !== '')),
  );
  const env = plainToInstance(EnvVars, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const value = e.property.includes('SECRET') || e.property.includes('TOKEN') ? '(hidden)' : JSON.stringify(raw[e.property]);
      return `invalid environment variable ${e.property}=${value}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    });
    throw new EnvValidationError(lines.join('\n'));
  }
  if (env.NODE_ENV === 'production') {
    if (env.LOG_FORMAT !== 'json') throw new EnvValidationError('invalid environment variable LOG_FORMAT: production logs are json');
    for (const key of ['JWT_SECRET', 'ID_HASH_SECRET', 'CREDIT_EXPORT_SECRET'] as const) {
      if (env[key].startsWith('dev-only')) {
        throw new EnvValidationError(`invalid environment variable ${key}: the dev default must be replaced in production`);
      }
    }
    // Only signed when a gateway is set: a deployment without SMS needs no key for it.
    if (env.NOTICE_SMS_URL && env.NOTICE_SMS_SECRET.startsWith('dev-only')) {
      throw new EnvValidationError('invalid environment variable NOTICE_SMS_SECRET: the dev default must be replaced in production when NOTICE_SMS_URL is set');
    }
  }
  return env;
}

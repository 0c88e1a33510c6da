import { Injectable } from '@nestjs/common';
import { SharedRedis } from '@app/shared-state/shared-redis';
import { RequestLimiter } from './request-limiter';

/** Requests per minute of one resident's token, and of one client address, on the resident api. */
export const RESIDENT_REQUESTS_PER_MINUTE = 60;
export const CLIENT_REQUESTS_PER_MINUTE = 300;
/** Wrong or revoked tokens per minute from one client address before it is refused outright. */
export const BAD_TOKENS_PER_MINUTE = 20;

const WINDOW_MS = 60_000;
export type ResidentLimit = 'token' | 'client' | 'bad_token';
const LIMITS: Record<ResidentLimit, number> = { token: RESIDENT_REQUESTS_PER_MINUTE, client: CLIENT_REQUESTS_PER_MINUTE, bad_token: BAD_TOKENS_PER_MINUTE };

/** Fixed window in one round trip: the count after this request. */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return hits
`;

/**
 * The resident page's rate limits, counted in Redis so that every api process (API_PROCESSES=N,
 * replicas) allows each limit once, like the login and objection throttles. While Redis does not
 * answer, each process counts for itself (RequestLimiter): a Redis outage never locks residents out.
 */
@Injectable()
export class ResidentLimits {
  private readonly local = Object.fromEntries(Object.entries(LIMITS).map(([k, n]) => [k, new RequestLimiter(n, WINDOW_MS)])) as Record<ResidentLimit, RequestLimiter>;

  constructor(private readonly redis: SharedRedis) {}

  /** Counts one request for `key` under `limit`; false when over the limit in this minute. */
  async take(limit: ResidentLimit, key: string): Promise<boolean> {
    const hits = await this.redis.run((c) => c.eval(INCREMENT, 1, this.redis.key('resident-limit', limit, key), String(WINDOW_MS)) as Promise<number>);
    if (typeof hits !== 'number') return this.local[limit].take(key);
    return hits <= LIMITS[limit];
  }
}

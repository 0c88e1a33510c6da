import { Injectable } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { SharedRedis } from './shared-redis';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Fixed-window counter with an optional block, in one round trip. KEYS: counter, block marker.
 * ARGV: window ms, limit, block ms. Returns hits, window ms left, blocked (0/1), block ms left.
 */
const INCREMENT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or ARGV[2]) + 1, redis.call('PTTL', KEYS[1]), 1, blockLeft}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block > 0 then redis.call('SET', KEYS[2], '1', 'PX', block) else block = left end
  return {hits, left, 1, block}
end
return {hits, left, 0, 0}
`;

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * The throttler's counters (objections, login attempts per client) shared by every api process
 * through Redis, so N processes allow the limit once, not N times. While Redis is unreachable the
 * in-process store answers (the limit is then per process, as before), so a Redis outage never
 * turns into refused objections or logins.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly local = new ThrottlerStorageService();

  constructor(private readonly redis: SharedRedis) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const counter = this.redis.key('throttle', throttlerName, key);
    const reply = await this.redis.run(
      (client) => client.eval(INCREMENT, 2, counter, `${counter}:blocked`, String(ttl), String(limit), String(blockDuration)) as Promise<number[]>,
    );
    if (!Array.isArray(reply)) return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    const [hits, left, blocked, blockLeft] = reply.map(Number);
    return { totalHits: hits, timeToExpire: seconds(left), isBlocked: blocked === 1, timeToBlockExpire: blocked === 1 ? seconds(blockLeft) : 0 };
  }
}

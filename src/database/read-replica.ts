import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '@app/auth/principal';
import { AppConfig } from '@app/config/app-config';
import { SharedRedis } from '@app/shared-state/shared-redis';
import { dataSourceOptions } from './data-source-options';

/** How often the standby's replay position is read (and its health with it). */
const POLL_MS = 250;
/** A principal's last write is remembered this long: a standby further behind than this is broken. */
const WRITE_MEMORY_MS = 60_000;

/** 'A/B' (hex) → one comparable number. */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

const principalKey = (p: Principal): string => `${p.kind}:${p.id}`;

/**
 * Reads that may go to a streaming standby (DATABASE_REPLICA_URL): the public board, auditors'
 * searches and exports, statements. Unset, everything reads the primary as before.
 *
 * - **Falls back**: the standby is polled every POLL_MS; while it does not answer (or a read on it
 *   fails on the connection) reads go to the primary.
 * - **Read your writes**: after a write, the primary's WAL position is remembered for who made it
 *   (Redis, shared by every api process) or for what changed (a board); a read that must see it
 *   goes to the standby only once the standby has replayed that far, else to the primary.
 */
@Injectable()
export class ReadReplica implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(ReadReplica.name);
  private replica: DataSource | null = null;
  private replayed: bigint | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly url: string | undefined;

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    private readonly redis: SharedRedis,
    private readonly config: AppConfig,
  ) {
    this.url = config.get('DATABASE_REPLICA_URL');
  }

  get configured(): boolean {
    return this.url !== undefined;
  }

  onModuleInit(): void {
    if (!this.url) return;
    this.replica = new DataSource({ ...dataSourceOptions(this.url, this.config.get('DATABASE_POOL_SIZE'), 'xinyi-replica'), entities: [], migrations: [] });
    const poll = async () => {
      try {
        if (!this.replica?.isInitialized) await this.replica?.initialize();
        const [row] = (await this.replica?.query(`SELECT pg_last_wal_replay_lsn()::text AS lsn`)) as Array<{ lsn: string | null }>;
        const was = this.replayed;
        // Not a standby (no replay position): its data is the primary's own, nothing to wait for.
        this.replayed = row.lsn === null ? BigInt(Number.MAX_SAFE_INTEGER) << 16n : lsnValue(row.lsn);
        if (was === null) this.log.log('read replica is answering; board, audit and statement reads use it');
      } catch (err) {
        if (this.replayed !== null) this.log.warn(`read replica unreachable, reading from the primary: ${(err as Error).message}`);
        this.replayed = null;
      }
      this.timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    if (this.replica?.isInitialized) await this.replica.destroy();
  }

  /**
   * Runs a read on the standby when it is up and has what `who` (or `board`) last wrote; on the
   * primary otherwise, and again on the primary if the standby fails under it.
   */
  async read<T>(opts: { who?: Principal | null; board?: { villageId: string; period: string } }, fn: (db: DataSource) => Promise<T>): Promise<T> {
    const db = await this.pick(opts);
    if (db === this.primary) return fn(db);
    try {
      return await fn(db);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.replayed = null;
      return fn(this.primary);
    }
  }

  /** After a successful write by `who`: what they read next must include it. */
  async noteWrite(who: Principal): Promise<void> {
    if (!this.replica) return;
    await this.remember(this.redis.key('ryw', principalKey(who)));
  }

  /** After a change to a board (publish, objection, answer, finalize): every reader must see it. */
  async noteBoardChange(villageId: string, period: string): Promise<void> {
    if (!this.replica) return;
    await this.remember(this.redis.key('ryw-board', villageId, period));
  }

  private async remember(key: string): Promise<void> {
    // The insert position, not pg_current_wal_lsn() (the write position): with synchronous_commit
    // off a commit returns before its record is written, so the write position can still be
    // short of it and a standby that has not replayed the write would pass for one that has.
    const [row] = (await this.primary.query(`SELECT pg_current_wal_insert_lsn()::text AS lsn`)) as Array<{ lsn: string }>;
    // Redis down: not stored, but then `pick` cannot read any position either and sends every read
    // that names a writer or a board to the primary, so nothing stale is served.
    await this.redis.run((c) => c.set(key, row.lsn, 'PX', WRITE_MEMORY_MS));
  }

  private async pick(opts: { who?: Principal | null; board?: { villageId: string; period: string } }): Promise<DataSource> {
    if (!this.replica || this.replayed === null) return this.primary;
    const keys = [
      ...(opts.who ? [this.redis.key('ryw', principalKey(opts.who))] : []),
      ...(opts.board ? [this.redis.key('ryw-board', opts.board.villageId, opts.board.period)] : []),
    ];
    if (keys.length === 0) return this.replica;
    const needs = await this.redis.run((c) => c.mget(...keys));
    if (needs === undefined) return this.primary;
    const need = needs.filter((v): v is string => v !== null).map(lsnValue);
    if (need.length === 0) return this.replica;
    const wanted = need.reduce((a, b) => (a > b ? a : b));
    if (this.replayed >= wanted) return this.replica;
    // The poll may be a little old: ask the standby itself once before giving up on it.
    try {
      const [row] = (await this.replica.query(`SELECT pg_last_wal_replay_lsn()::text AS lsn`)) as Array<{ lsn: string | null }>;
      if (row.lsn === null || lsnValue(row.lsn) >= wanted) return this.replica;
    } catch {
      this.replayed = null;
    }
    return this.primary;
  }
}

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e.driverError?.code ?? e.code ?? '';
  return /^(08|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) || /Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? '');
}

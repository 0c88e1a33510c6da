import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ClientConfig, PoolClient } from 'pg';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { queryOne, queryRows, setTransactionReadOnly, type Db } from '@app/database/sql';
import type { CheckpointVersion } from './checkpoint';
import { POSTING_COLUMNS, type StoredPosting } from './ledger.repository';

export interface StoredCheckpoint {
  cycleId: string;
  villageId: string;
  period: string;
  version: CheckpointVersion;
  /** [accountId, seq, headHash] per account, as finalize read them. */
  heads: Array<[string, number, string]>;
  hash: string;
  /** The value on the cycle (printed on the board); null only if the cycle row is gone. */
  cycleHash: string | null;
}

export interface MissingCheckpointHead {
  cycleId: string;
  accountId: string;
  seq: number;
  expected: string;
  found: string | null;
}

export interface AccountProjection {
  accountId: string;
  balance: number;
  creditScore: number;
  ratingYear: number;
  seq: number;
  headHash: string;
}

/**
 * The reads that check the ledger: account projections, postings without an account, checkpoints
 * and the chains a proof is recomputed from (LedgerVerifier, CheckpointProofService), and the
 * verifier's snapshot and connections. The chains themselves are read by chain.repository.ts on
 * a plain node-postgres client (also in worker threads).
 */
@Injectable()
export class VerificationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * `work` in one REPEATABLE READ, READ ONLY transaction: one snapshot for all of a town's
   * reads (worker threads import it), so postings committed meanwhile are neither half-seen nor
   * reported as a projection ahead of its chain.
   */
  inSnapshot<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction('REPEATABLE READ', async (m) => {
      await setTransactionReadOnly(m);
      return work(m);
    });
  }

  /** The node-postgres client under `m`'s transaction: chain.repository.ts reads through it (cursor, rows as text). */
  async clientOf(m: EntityManager): Promise<PoolClient> {
    return (await (m.queryRunner as PostgresQueryRunner).connect()) as PoolClient;
  }

  /** How a worker thread reaches the same database with a connection of its own. */
  workerConnectionConfig(): ClientConfig {
    const o = this.db.options as PostgresDataSourceOptions;
    return {
      connectionString: o.url,
      host: o.host,
      port: o.port,
      user: o.username,
      password: typeof o.password === 'string' ? o.password : undefined,
      database: o.database,
      ssl: o.ssl as ClientConfig['ssl'],
      application_name: `${o.applicationName ?? 'xinyi'}-verify`,
    };
  }

  async listAccountProjections(townId: string, m: Db = this.db): Promise<AccountProjection[]> {
    return queryRows<AccountProjection>(
      m,
      `SELECT resident_id AS "accountId", balance, credit_score AS "creditScore", rating_year AS "ratingYear", seq, head_hash AS "headHash"
         FROM accounts WHERE town_id = $1 ORDER BY resident_id`,
      [townId],
    );
  }

  /** Accounts of a town that have postings but no account row (a deleted projection). */
  async findPostingAccountsWithoutAccount(townId: string, m: Db = this.db): Promise<Array<{ accountId: string; minSeq: number }>> {
    return queryRows(
      m,
      `SELECT p.account_id AS "accountId", min(p.seq)::int AS "minSeq" FROM postings p
        WHERE p.town_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.resident_id = p.account_id)
        GROUP BY p.account_id ORDER BY p.account_id`,
      [townId],
    );
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  /** Every checkpoint of the town with the value printed on its cycle (and board). */
  listCheckpoints(townId: string, m: Db = this.db): Promise<StoredCheckpoint[]> {
    return queryRows<StoredCheckpoint>(
      m,
      `SELECT cc.cycle_id AS "cycleId", cc.village_id AS "villageId", cc.period, cc.version, cc.heads, cc.hash, c.checkpoint_hash AS "cycleHash"
       FROM cycle_checkpoints cc LEFT JOIN review_cycles c ON c.id = cc.cycle_id
       WHERE cc.town_id = $1 ORDER BY cc.period, cc.village_id`,
      [townId],
    );
  }

  /**
   * Per checkpoint, the first head (by account) that is no longer in the ledger as it was: no
   * posting with that (account, seq), or one with another hash. A head at seq 0 (an account with
   * no postings yet) has nothing to find. With the chain check (every stored hash recomputed) this
   * compares each checkpoint with the heads recomputed from the postings.
   */
  firstMissingCheckpointHeads(townId: string, m: Db = this.db): Promise<MissingCheckpointHead[]> {
    return queryRows<MissingCheckpointHead>(
      m,
      `SELECT DISTINCT ON (cc.cycle_id) cc.cycle_id AS "cycleId", (h.e->>0) AS "accountId", (h.e->>1)::int AS seq, (h.e->>2) AS expected, p.hash AS found
       FROM cycle_checkpoints cc
       CROSS JOIN LATERAL jsonb_array_elements(cc.heads) AS h(e)
       LEFT JOIN postings p ON p.account_id = (h.e->>0)::uuid AND p.seq = (h.e->>1)::int
       WHERE cc.town_id = $1 AND (h.e->>1)::int > 0 AND p.hash IS DISTINCT FROM (h.e->>2)
       ORDER BY cc.cycle_id, (h.e->>0)`,
      [townId],
    );
  }

  /** The account's village and town (whose checkpoints can hold it). */
  findAccountVillage(accountId: string, m: Db = this.db): Promise<{ townId: string; villageId: string } | null> {
    return queryOne(m, `SELECT town_id AS "townId", village_id AS "villageId" FROM accounts WHERE resident_id = $1`, [accountId]);
  }

  /** The village's checkpoint of `period`, or its latest one, with the cycle's finalize time. */
  findVillageCheckpoint(villageId: string, period: string | null, m: Db = this.db): Promise<(StoredCheckpoint & { townId: string; villageName: string; finalizedAt: Date | null }) | null> {
    return queryOne(
      m,
      `SELECT cc.cycle_id AS "cycleId", cc.town_id AS "townId", cc.village_id AS "villageId", v.name AS "villageName", cc.period, cc.version, cc.heads, cc.hash,
              c.checkpoint_hash AS "cycleHash", c.finalized_at AS "finalizedAt"
       FROM cycle_checkpoints cc JOIN villages v ON v.id = cc.village_id LEFT JOIN review_cycles c ON c.id = cc.cycle_id
       WHERE cc.village_id = $1 AND ($2::text IS NULL OR cc.period = $2)
       ORDER BY cc.period DESC LIMIT 1`,
      [villageId, period],
    );
  }

  /** The account's postings up to `seq`, in chain order (what a proof's head is recomputed from). */
  readAccountChain(accountId: string, uptoSeq: number, m: Db = this.db): Promise<StoredPosting[]> {
    return queryRows<StoredPosting>(m, `SELECT ${POSTING_COLUMNS} FROM postings p WHERE p.account_id = $1 AND p.seq <= $2 ORDER BY p.seq`, [accountId, uptoSeq]);
  }
}

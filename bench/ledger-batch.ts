/**
 * Batch posting speed of the ledger alone: one month of a whole town (default 50,000 residents,
 * 100,000 deed postings) through LedgerService.postBatch in ONE call, in process (no HTTP, no
 * queue, no review-side writes), then the same batch again (all skipped: exactly once), then a
 * full verification of the town. `npm run bench` runs it as the scenario `ledger-postbatch`;
 * alone, against any migrated scratch database:
 *
 *   npm run bench (once, for the build) && DATABASE_URL=… node .local/bench-build/bench/ledger-batch.js [residents] [postings]
 *   or: DATABASE_URL=… npx ts-node -r tsconfig-paths/register --transpile-only bench/ledger-batch.ts [residents] [postings]
 *
 * Writes a new bench town (code BENCH-…) into that database; the ledger is append-only, so it
 * stays there. Use a scratch/dev database, never production.
 */
import 'reflect-metadata';
import '@app/error-codes';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerRepository } from '@app/ledger/ledger.repository';
import { LedgerService } from '@app/ledger/ledger.service';
import { VerificationRepository } from '@app/ledger/verification.repository';
import type { PostingRequest } from '@app/ledger/ledger.types';

export interface LedgerBatchResult {
  residents: number;
  posted: number;
  postSeconds: number;
  /** Time per repository method during the first batch (round trips and their work). */
  breakdownMs: Record<string, number>;
  rerunSkipped: number;
  rerunSeconds: number;
  verified: number;
  verifyOk: boolean;
  verifySeconds: number;
}

export async function runLedgerBatch(ds: DataSource, residents: number, postings: number): Promise<LedgerBatchResult> {
  const tag = randomBytes(4).toString('hex');
  const [town] = await ds.query(`INSERT INTO towns (code, name) VALUES ($1, '基准测试镇') RETURNING id`, [`BENCH-${tag}`]);
  const [village] = await ds.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, 'V1', '基准村') RETURNING id`, [town.id]);
  const [hh] = await ds.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, 'H1') RETURNING id`, [town.id, village.id]);
  const ids: Array<{ id: string }> = await ds.query(
    `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
     SELECT $1, $2, $3, '村民' || g, 'M', 1970, 'B' || $4 || lpad(g::text, 7, '0'), md5($4 || g::text), '0000'
       FROM generate_series(1, $5) g RETURNING id`,
    [town.id, village.id, hh.id, tag.toUpperCase(), residents],
  );
  const period = `${new Date().getFullYear()}-06`;
  const requests: PostingRequest[] = Array.from({ length: postings }, (_, i) => ({
    accountId: ids[i % ids.length].id,
    kind: 'deed',
    points: (i % 7) - 2,
    sourceRef: `bench:${tag}:${i}`,
    counterparty: `town:${town.id}`,
    period,
    itemCode: 'T01',
  }));

  const repo = new LedgerRepository(ds);
  const spent = new Map<string, number>();
  for (const name of Object.getOwnPropertyNames(LedgerRepository.prototype)) {
    const original = (repo as unknown as Record<string, unknown>)[name];
    if (name === 'constructor' || typeof original !== 'function') continue;
    (repo as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const t = performance.now();
      try {
        return await (original as (...a: unknown[]) => Promise<unknown>).apply(repo, args);
      } finally {
        spent.set(name, (spent.get(name) ?? 0) + performance.now() - t);
      }
    };
  }
  const ledger = new LedgerService(repo);
  const t0 = performance.now();
  const result = await ledger.postBatch(requests);
  const postSeconds = (performance.now() - t0) / 1000;
  const breakdownMs = Object.fromEntries([...spent].map(([k, v]) => [k, Math.round(v)]));
  spent.clear();
  const t1 = performance.now();
  const rerun = await ledger.postBatch(requests);
  const rerunSeconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const report = await new LedgerVerifier(repo, new VerificationRepository(ds)).verifyTown(town.id);
  const verifySeconds = (performance.now() - t2) / 1000;
  return { residents: ids.length, posted: result.posted, postSeconds, breakdownMs, rerunSkipped: rerun.skipped, rerunSeconds, verified: report.postingsChecked, verifyOk: report.ok, verifySeconds };
}

async function main(): Promise<void> {
  const residents = Number(process.argv[2] ?? 50_000);
  const postings = Number(process.argv[3] ?? 100_000);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const ds = new DataSource(dataSourceOptions(url, 4, 'xinyi-bench'));
  await ds.initialize();
  try {
    const r = await runLedgerBatch(ds, residents, postings);
    const parts = Object.entries(r.breakdownMs)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ');
    console.log(`postBatch: ${r.posted} postings over ${r.residents} accounts (opening the accounts) in ${r.postSeconds.toFixed(2)} s = ${Math.round(r.posted / r.postSeconds)} postings/s`);
    console.log(`  ${parts}`);
    console.log(`rerun (all skipped, exactly-once): skipped ${r.rerunSkipped} in ${r.rerunSeconds.toFixed(2)} s`);
    console.log(`verifyTown: ${r.verified} postings, ok=${r.verifyOk}, in ${r.verifySeconds.toFixed(2)} s = ${Math.round(r.verified / r.verifySeconds)} postings/s`);
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

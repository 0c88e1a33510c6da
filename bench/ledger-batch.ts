/**
 * Batch posting speed: one month of a whole town (default 50,000 residents, 100,000 deed
 * postings) through LedgerService.postBatch in one call, then a full verification of the town.
 *
 *   export $(cat /tmp/svc-try/env)   # or any DATABASE_URL with the schema migrated
 *   npx ts-node -r tsconfig-paths/register --transpile-only bench/ledger-batch.ts [residents] [postings]
 *
 * Writes a new bench town (code BENCH-…) into that database; the ledger is append-only, so it
 * stays there. Use a scratch/dev database, never production.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AuditService } from '@app/audit/audit.service';
import type { ScopeService } from '@app/auth/scope.service';
import { dataSourceOptions } from '@app/database/data-source-options';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerRepository } from '@app/ledger/ledger.repository';
import { LedgerService } from '@app/ledger/ledger.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import type { JobQueue } from '@app/queue/job-queue.service';

async function main(): Promise<void> {
  const residents = Number(process.argv[2] ?? 50_000);
  const postings = Number(process.argv[3] ?? 100_000);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const ds = new DataSource(dataSourceOptions(url, 4, 'xinyi-bench'));
  await ds.initialize();
  try {
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
    // Time spent per repository method (round trips), to see where a batch goes.
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
    const breakdown = () => {
      const parts = [...spent].map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ');
      spent.clear();
      return parts;
    };
    // postBatch needs none of these; they serve the HTTP-facing methods.
    const ledger = new LedgerService(repo, undefined as unknown as AuditService, undefined as unknown as ScopeService, undefined as unknown as JobQueue);
    const t0 = performance.now();
    const result = await ledger.postBatch(requests);
    const ms = performance.now() - t0;
    console.log(`postBatch: ${result.posted} postings over ${ids.length} accounts (opening the accounts) in ${(ms / 1000).toFixed(2)} s = ${Math.round(result.posted / (ms / 1000))} postings/s`);
    console.log(`  ${breakdown()}`);

    const again = performance.now();
    const rerun = await ledger.postBatch(requests);
    console.log(`rerun (all skipped, exactly-once): posted ${rerun.posted}, skipped ${rerun.skipped} in ${((performance.now() - again) / 1000).toFixed(2)} s`);
    console.log(`  ${breakdown()}`);

    const t1 = performance.now();
    const report = await new LedgerVerifier(repo).verifyTown(town.id);
    const vms = performance.now() - t1;
    console.log(`verifyTown: ${report.postingsChecked} postings / ${report.accountsChecked} accounts, ok=${report.ok}, in ${(vms / 1000).toFixed(2)} s = ${Math.round(report.postingsChecked / (vms / 1000))} postings/s`);
    console.log(`  ${breakdown()}`);
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

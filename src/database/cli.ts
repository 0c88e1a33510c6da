/**
 * Schema commands, run from the compiled build:
 *   node dist/src/database/cli.js migrate      apply pending migrations
 *   node dist/src/database/cli.js check-drift  exit 1 when entities and migrations disagree
 *   node dist/src/database/cli.js generate Name write migrations/<ts>-Name.ts from the drift
 *   node dist/src/database/cli.js seed-demo    add the demo town 侯营镇 once (src/database/demo-seed.ts)
 *   node dist/src/database/cli.js create-town --name 侯营镇 --code HOUYING --admin houying.admin
 *                       [--admin-name 张三] [--catalog-from 2026-01-01]
 *                                              a real town and its first admin; prints a one-time
 *                                              password that must be changed at first login
 *   node dist/src/database/cli.js verify-ledger [townId]
 *                                              recompute every account's hash chain and every
 *                                              checkpoint (v1 hash, v2 Merkle root); exit 1 and
 *                                              print the first broken link per account/checkpoint
 *   node dist/src/database/cli.js finalize-due --as-of <ISO time with offset>
 *                                              test/training deployments only (refused with
 *                                              NODE_ENV=production): run the month-end work as of
 *                                              that time — close what is due, end objection
 *                                              windows that end by then, finalize, post
 */
import '@app/error-codes';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { validateEnv } from '@app/config/env.schema';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerRepository } from '@app/ledger/ledger.repository';
import { VerificationRepository } from '@app/ledger/verification.repository';
import { dataSourceOptions } from './data-source-options';
import { createTown, CreateTownError } from './create-town';
import { seedDemo } from './demo-seed';

/** An instant with its offset, e.g. 2026-12-20T09:00:00+08:00: a bare date or time would be ambiguous. */
const AS_OF_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command === 'finalize-due') {
    // Before anything else: in production the objection window is never shortened.
    if (process.env.NODE_ENV === 'production') {
      console.error('finalize-due refused: NODE_ENV=production. It is for test and training deployments; in production objection windows are never shortened and finalize runs when they end.');
      process.exitCode = 2;
      return;
    }
    await finalizeDue(process.argv.slice(3));
    return;
  }
  const env = validateEnv(process.env);
  const ds = new DataSource(dataSourceOptions(env.DATABASE_URL, 2, 'xinyi-cli'));
  await ds.initialize();
  try {
    if (command === 'migrate') {
      const ran = await ds.runMigrations({ transaction: 'each' });
      console.log(ran.length ? `applied ${ran.map((m) => m.name).join(', ')}` : 'schema up to date');
    } else if (command === 'seed-demo') {
      const result = await seedDemo(ds, env.ID_HASH_SECRET);
      for (const line of result.lines) console.log(line);
    } else if (command === 'create-town') {
      const { values } = parseArgs({
        args: process.argv.slice(3),
        options: { name: { type: 'string' }, code: { type: 'string' }, admin: { type: 'string' }, 'admin-name': { type: 'string' }, 'catalog-from': { type: 'string' } },
        strict: true,
      });
      const result = await createTown(ds, {
        name: values.name ?? '',
        code: values.code ?? '',
        admin: values.admin ?? '',
        adminName: values['admin-name'],
        catalogFrom: values['catalog-from'],
      });
      for (const line of result.lines) console.log(line);
    } else if (command === 'check-drift' || command === 'generate') {
      const sql = await ds.driver.createSchemaBuilder().log();
      if (command === 'check-drift') {
        if (sql.upQueries.length > 0) {
          console.error('entities and migrations drift; a migration would run:');
          for (const q of sql.upQueries) console.error(`  ${q.query}`);
          process.exitCode = 1;
        } else console.log('no drift between entities and migrations');
      } else {
        if (!name || !/^[A-Za-z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: generate <PascalCaseName>');
        if (sql.upQueries.length === 0) {
          console.log('nothing to generate');
          return;
        }
        const ts = Date.now();
        const esc = (q: string) => q.replace(/\\/g, '\\\\').replace(/`/g, '\\`');
        const up = sql.upQueries.map((q) => `    await queryRunner.query(\`${esc(q.query)}\`);`).join('\n');
        const down = sql.downQueries.reverse().map((q) => `    await queryRunner.query(\`${esc(q.query)}\`);`).join('\n');
        const file = join(process.cwd(), 'migrations', `${ts}-${name}.ts`);
        writeFileSync(
          file,
          `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${name}${ts} implements MigrationInterface {\n  name = '${name}${ts}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
        );
        console.log(`wrote ${file}; add it to migrations/index.ts`);
      }
    } else if (command === 'verify-ledger') {
      const verifier = new LedgerVerifier(new LedgerRepository(ds), new VerificationRepository(ds));
      let threads = 0;
      const opts = { onPlan: (p: { workers: number }) => (threads = Math.max(threads, p.workers)) };
      const report = name ? await verifier.verifyTown(name, opts) : await verifier.verifyAll(opts);
      console.log(`verified ${report.accountsChecked} accounts, ${report.postingsChecked} postings${name ? ` of town ${name}` : ''} (${threads ? `${threads} worker threads` : 'in one thread'})`);
      console.log(`verified ${report.checkpoints.checked} checkpoints`);
      for (const b of report.broken) {
        console.error(`BROKEN account ${b.accountId} seq ${b.seq}: ${b.problem} (expected ${b.expected}, found ${b.found})`);
      }
      for (const c of report.checkpoints.broken) {
        console.error(`BROKEN checkpoint v${c.version} village ${c.villageId} period ${c.period}: ${c.problem}${c.accountId ? ` at account ${c.accountId} seq ${c.seq}` : ''} (expected ${c.expected}, found ${c.found})`);
      }
      if (report.ok) console.log('ledger OK');
      else process.exitCode = 1;
    } else {
      throw new Error(`unknown command ${command ?? '(none)'}; use migrate | check-drift | generate <Name> | seed-demo | create-town --name … --code … --admin … | verify-ledger [townId] | finalize-due --as-of <time>`);
    }
  } finally {
    await ds.destroy();
  }
}

async function finalizeDue(args: string[]): Promise<void> {
  const at = args.indexOf('--as-of');
  const value = at >= 0 ? args[at + 1] : undefined;
  const asOf = value && AS_OF_PATTERN.test(value) ? new Date(value) : null;
  if (!asOf || Number.isNaN(asOf.getTime())) {
    console.error('usage: finalize-due --as-of <time with offset, e.g. 2026-12-20T09:00:00+08:00>');
    process.exitCode = 1;
    return;
  }
  validateEnv(process.env);
  // The application context (no HTTP server): the same services and code paths as the jobs.
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('@app/app.module.js');
  const { ReconcileService } = await import('@app/review/reconcile.service.js');
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  try {
    const r = await app.get(ReconcileService).runDueAsOf(asOf);
    console.log(`as of ${asOf.toISOString()}: closed ${r.closed} cycles, ended ${r.windowsEnded} objection windows early, finalized ${r.finalized} cycles, posted ${r.posted} late-dismissed entries`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof CreateTownError) console.error(`create-town: ${err.message}`);
  else console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

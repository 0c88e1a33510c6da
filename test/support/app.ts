import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase } from './db';

export interface TestEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  dbName: string;
}

export interface TestStack {
  env: TestEnv;
  api: NestFastifyApplication;
  /** The worker process's module, run in this process (same code path as src/worker.ts). */
  worker?: INestApplicationContext;
  db: DataSource;
  http: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

/**
 * Gives a test file its own database (cloned from the template) and its own BullMQ prefix,
 * then boots the real api (and optionally the worker) against them. Env is set before the app
 * modules are imported because ConfigModule reads it when the module is first loaded.
 */
export async function startStack(opts: { worker?: boolean; env?: Record<string, string> } = {}): Promise<TestStack> {
  const base = process.env.DATABASE_URL;
  const redis = process.env.REDIS_URL;
  if (!base || !redis) throw new Error('DATABASE_URL / REDIS_URL missing: run through vitest globalSetup');
  const db = await createTestDatabase(base);
  const env: TestEnv = { DATABASE_URL: db.url, REDIS_URL: redis, QUEUE_PREFIX: `t${randomBytes(5).toString('hex')}`, dbName: db.name };
  // Unset unless the file sets it (process.env outlives a file): QR addresses follow the request's host.
  delete process.env.PUBLIC_BASE_URL;
  // What this file sets for itself is put back on close: process.env outlives a file in a fork.
  const before = Object.fromEntries(Object.keys(opts.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: env.DATABASE_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    DATABASE_POOL_SIZE: '10',
    // Generous limits by default (a file's own env may lower them); reset every time because a
    // vitest fork runs several files in one process and process.env outlives a file.
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    OBJECTION_RATE_LIMIT_PER_MINUTE: '1000',
    UPLOAD_MAX_BYTES: String(10 * 1024 * 1024),
    // Tests read a board right after changing it.
    BOARD_CACHE_MS: '0',
    ...opts.env,
  });
  const { AppModule } = await import('@app/app.module.js');
  const { configureHttpApp, createHttpAdapter, initHttpApp } = await import('@app/bootstrap.js');
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const api = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(), { bodyParser: false, logger: false });
  await configureHttpApp(api);
  await initHttpApp(api);

  let worker: INestApplicationContext | undefined;
  if (opts.worker) worker = await startWorker();

  const stack: TestStack = {
    env,
    api,
    worker,
    db: api.get(DataSource),
    http: api.getHttpServer(),
    async close() {
      await Promise.allSettled([api.close(), stack.worker?.close()]);
      process.env.DATABASE_URL = base;
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await dropTestDatabase(base, env.dbName);
    },
  };
  return stack;
}

/** Boots the worker module (BullMQ workers + handler check) in this process. */
export async function startWorker(): Promise<INestApplicationContext> {
  const { WorkerModule } = await import('@app/worker.module.js');
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule] }).compile();
  await moduleRef.init();
  return moduleRef;
}

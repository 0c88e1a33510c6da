import 'reflect-metadata';
import './error-codes';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { isClusterPrimary, superviseApiProcesses } from './api-cluster';
import { configureHttpApp, createHttpAdapter, initHttpApp } from './bootstrap';
import { armShutdownDeadline } from './common/shutdown-deadline';
import { AppConfig } from './config/app-config';
import { EnvValidationError, validateEnv } from './config/env.schema';

async function main(): Promise<void> {
  // Before the modules load: ConfigModule reads the environment at import time.
  process.env.XINYI_PROCESS = 'api';
  // Validate before the modules load: ConfigModule validates at import time and would throw
  // outside this function, with a stack instead of one line.
  const env = validateEnv(process.env);
  if (env.API_PROCESSES > 1 && isClusterPrimary()) {
    superviseApiProcesses(env.API_PROCESSES);
    return;
  }
  const { AppModule } = await import('./app.module.js');
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter(), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  await configureHttpApp(app);
  await initHttpApp(app);
  const config = app.get(AppConfig);
  armShutdownDeadline(config.get('SHUTDOWN_TIMEOUT_MS'), (m) => app.get(Logger).error(m));
  await app.listen(config.get('PORT'), config.get('HOST'));
  app.get(Logger).log(`api listening on ${await app.getUrl()} (docs at /docs, health at /health)`);
}

main().catch((err: unknown) => {
  // One clear line for a bad environment; a stack for anything else.
  console.error(err instanceof EnvValidationError ? err.message : err);
  process.exit(1);
});

// First: a SIGTERM during start-up is kept until Nest's shutdown listeners are in (startup-signals.ts).
import { releaseStartupSignals } from './common/startup-signals';
import 'reflect-metadata';
import './error-codes';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { armShutdownDeadline } from './common/shutdown-deadline';
import { AppConfig } from './config/app-config';
import { EnvValidationError, validateEnv } from './config/env.schema';

async function main(): Promise<void> {
  // Before the modules load: ConfigModule reads and validates the environment at import time,
  // so XINYI_PROCESS must be set by then (it decides that this process installs the schedulers).
  process.env.XINYI_PROCESS = 'worker';
  // Validate before the modules load: ConfigModule validates at import time and would throw
  // outside this function, with a stack instead of one line.
  validateEnv(process.env);
  const { WorkerModule } = await import('./worker.module.js');
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // SIGTERM: close workers (current jobs finish), then the database and Redis connections.
  app.enableShutdownHooks();
  armShutdownDeadline(app.get(AppConfig).get('SHUTDOWN_TIMEOUT_MS'), (m) => app.get(Logger).error(m));
  releaseStartupSignals();
  await app.init();
}

main().catch((err: unknown) => {
  console.error(err instanceof EnvValidationError ? err.message : err);
  process.exit(1);
});

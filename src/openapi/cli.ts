import 'reflect-metadata';
import '@app/error-codes';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { buildOpenApiDocument, findProblems } from './document';

/**
 * `write <dir>`: writes `<dir>/openapi.json`; `check`: lists operations without a typed 2xx,
 * without a security declaration, and bare-object properties, exit 1 if any.
 * The app is created in preview mode: the module graph and its metadata, no provider runs,
 * so neither PostgreSQL nor Redis is needed.
 */
async function main(): Promise<void> {
  const [command, dir] = process.argv.slice(2);
  const { AppModule } = await import('../app.module.js');
  const { applyGlobalPrefix } = await import('../bootstrap.js');
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
  applyGlobalPrefix(app);
  const doc = buildOpenApiDocument(app);
  const problems = findProblems(doc);
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
  if (command === 'write' && dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'openapi.json'), `${JSON.stringify(doc, null, 2)}\n`);
  } else if (command !== 'check') {
    throw new Error('usage: cli.js write <dir> | check');
  }
  console.log(`${operations} operations, ${problems.untyped.length} without a typed 2xx response, ${problems.noSecurity.length} without a security declaration, ${problems.bareObjects.length} bare-object properties`);
  for (const [kind, list] of Object.entries(problems)) for (const p of list) console.log(`  ${kind}: ${p}`);
  const failed = problems.untyped.length + problems.noSecurity.length + problems.bareObjects.length > 0;
  process.exitCode = command === 'check' && failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

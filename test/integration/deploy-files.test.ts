import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateEnv } from '@app/config/env.schema';
import { apiGlibcTunables, apiNodeOptions, ROOT } from '../support/processes';

/**
 * No Docker engine runs on our machines, so docker-compose.yml and the Dockerfile are checked
 * here for what can be checked without one: the compose file parses, its settings hold
 * together, and the commands it runs exist in this build.
 */
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  restart?: string;
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const seconds = (d: string) => {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`unreadable duration ${d}`);
  return Number(m[1]) / (m[2] === 'ms' ? 1000 : 1) * (m[2] === 'm' ? 60 : 1);
};
const app = ['migrate', 'setup', 'api', 'worker'];

describe('docker-compose.yml', () => {
  it('one image, built once (by migrate), reused by migrate, setup, api and worker', () => {
    expect(new Set(app.map((s) => services[s].image))).toEqual(new Set(['xinyi-ledger:local']));
    expect(app.filter((s) => services[s].build !== undefined)).toEqual(['migrate']);
  });

  it('api and worker: restart unless-stopped, a grace period longer than SHUTDOWN_TIMEOUT_MS, a health check', () => {
    for (const s of ['api', 'worker', 'postgres', 'redis']) expect([s, services[s].restart]).toEqual([s, 'unless-stopped']);
    for (const s of ['api', 'worker']) {
      const env = validateEnv(services[s].environment ?? {});
      expect(seconds(services[s].stop_grace_period ?? '10s')).toBeGreaterThan(env.SHUTDOWN_TIMEOUT_MS / 1000);
      expect(services[s].healthcheck?.test.join(' ')).toMatch(/health\/(ready|live)/);
    }
    expect(services.api.healthcheck?.test.join(' ')).toContain(`:${services.api.environment?.PORT}/health/ready`);
    expect(services.worker.healthcheck?.test.join(' ')).toContain(`:${services.worker.environment?.METRICS_PORT}/health/live`);
  });

  it('the api runs with the heap cap and malloc setting of scripts/api-node-options.sh (what dev.sh and the bench use)', () => {
    expect(services.api.environment?.NODE_OPTIONS).toBe(apiNodeOptions());
    expect(apiNodeOptions()).toMatch(/--max-old-space-size=\d+/);
    expect(services.api.environment?.GLIBC_TUNABLES).toBe(apiGlibcTunables());
  });

  it('every app environment passes the production check (apart from the local secrets, which are not dev defaults)', () => {
    for (const s of app) expect(() => validateEnv(services[s].environment ?? {})).not.toThrow();
  });

  it('the commands exist in the build: migrate as package.json says, setup is the CLI with create-town, api and worker entry points', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(services.migrate.command?.join(' ')).toBe(pkg.scripts['db:migrate']);
    expect(services.api.command?.join(' ')).toBe(pkg.scripts['start:api']);
    expect(services.worker.command?.join(' ')).toBe(pkg.scripts['start:worker']);
    expect(services.setup.entrypoint).toEqual(['node', 'dist/src/database/cli.js']);
    expect(services.setup.command).toEqual(['create-town']);
    expect(services.setup.profiles).toEqual(['setup']);
    for (const file of ['dist/src/main.js', 'dist/src/worker.js', 'dist/src/database/cli.js']) {
      expect(existsSync(join(ROOT, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), file).toBe(true);
    }
    expect(services.api.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(services.worker.depends_on?.migrate.condition).toBe('service_completed_successfully');
  });
});

describe('Dockerfile', () => {
  it('its build stage has what argon2 needs to compile from source, and builds the way the scripts do', () => {
    const [build, runtime] = dockerfile.split(/^FROM /m).slice(1);
    expect(build).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
    expect(build).toMatch(/npm_config_build_from_source=true/);
    expect(build).toMatch(/RUN npm install --no-audit --no-fund/);
    expect(build).toMatch(/npm run build && npm prune --omit=dev/);
    for (const copied of ['tsconfig.json', 'tsconfig.build.json', 'src', 'migrations']) expect(build).toContain(copied);
    expect(runtime).toMatch(/ENV NODE_ENV=production/);
    expect(runtime).toMatch(/USER node/);
    expect(runtime).not.toMatch(/g\+\+|python3/);
    expect(runtime).toMatch(/CMD \["node", "dist\/src\/main.js"\]/);
  });
});

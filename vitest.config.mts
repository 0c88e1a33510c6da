import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC, not esbuild: Nest's dependency injection needs emitted decorator metadata.
export default defineConfig({
  plugins: [
    swc.vite({
      module: { type: 'es6' },
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        keepClassNames: true,
      },
    }),
  ],
  resolve: { alias: { '@app': fileURLToPath(new URL('./src', import.meta.url)) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts', 'test/support/**/*.spec.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
          // The error-code table (src/error-codes.ts) is registered before any spec builds an AppError.
          setupFiles: ['src/error-codes.ts'],
          // Pure logic: the spec files share a worker's module cache instead of each paying a fresh
          // process and a fresh import of Nest, class-validator and the rest (56 files: 56 → 20
          // CPU-seconds). A spec that changes process-wide state (process.env, vi.mock) must undo it.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts', 'test/console/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/global-setup.ts'],
          // Test files that build services without the app (which loads it too) still get the codes.
          setupFiles: ['src/error-codes.ts'],
          pool: 'forks',
          // Each file has its own database and queue prefix, so files run side by side.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

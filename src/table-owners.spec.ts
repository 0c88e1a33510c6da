import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Tables with one writing feature (docs/ARCHITECTURE.md): another feature changes their rows
 * through the owner's service, never by SQL of its own. src/database (migrations, seeds, the CLI)
 * aside.
 */
const OWNERS: Record<string, string> = {
  entry_states: 'entries',
  entry_events: 'entries',
  review_cycles: 'review',
  cycle_events: 'review',
  credit_outbox: 'credit-export',
};

/** Every .ts file under `dir`, specs excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.spec.ts') ? [p] : [];
  });
}

const writes = (table: string) => new RegExp(`\\b(INSERT\\s+INTO|UPDATE|DELETE\\s+FROM|TRUNCATE(\\s+TABLE)?)\\s+${table}\\b`, 'i');

describe('tables with one owner', () => {
  const src = __dirname;
  const files = sources(src)
    .map((f) => ({ path: relative(src, f).replaceAll('\\', '/'), text: readFileSync(f, 'utf8') }))
    .filter((f) => !f.path.startsWith('database/'));

  for (const [table, owner] of Object.entries(OWNERS)) {
    it(`only src/${owner}/ writes ${table}`, () => {
      const writers = files.filter((f) => writes(table).test(f.text)).map((f) => f.path);
      expect(writers.length).toBeGreaterThan(0);
      expect(writers.filter((f) => !f.startsWith(`${owner}/`))).toEqual([]);
    });
  }
});

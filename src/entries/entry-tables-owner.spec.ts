import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every .ts file under `dir`, specs excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.spec.ts') ? [p] : [];
  });
}

const WRITES = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(entry_states|entry_events)\b/i;

describe('entry_states and entry_events have one owner', () => {
  it('only the entries feature writes them (src/database: migrations, seeds and the CLI aside)', () => {
    const src = join(__dirname, '..');
    const writers = sources(src)
      .filter((f) => WRITES.test(readFileSync(f, 'utf8')))
      .map((f) => relative(src, f))
      .filter((f) => !f.startsWith('database/'));
    expect(writers.length).toBeGreaterThan(0);
    expect(writers.filter((f) => !f.startsWith(`${relative(src, __dirname)}/`))).toEqual([]);
  });
});

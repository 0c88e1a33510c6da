/** Uploaded spreadsheets: headers. The module as a whole is described in ./tabular.ts. */
import { ColumnSpec } from './types';
import { cellToString } from './cells';
import { SheetCell } from './read';

/** Case, width (（）vs ()), surrounding and inner spaces and a required-marker '*' do not matter. */
export function normaliseHeader(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/\s+/gu, '')
    .replace(/^\*+|\*+$/gu, '')
    .toLowerCase();
}

export function buildHeaderLookup(columns: ColumnSpec<unknown>[]): Map<string, ColumnSpec<unknown>> {
  const lookup = new Map<string, ColumnSpec<unknown>>();
  const keys = new Set<string>();
  for (const spec of columns) {
    if (keys.has(spec.key)) throw new Error(`tabular: duplicate column key ${spec.key}`);
    keys.add(spec.key);
    for (const name of [spec.header, ...(spec.aliases ?? [])]) {
      const norm = normaliseHeader(name);
      const other = lookup.get(norm);
      if (other && other !== spec) throw new Error(`tabular: header ${name} is used by both ${other.key} and ${spec.key}`);
      lookup.set(norm, spec);
    }
  }
  return lookup;
}

export function headerText(c: SheetCell): string {
  const s = cellToString(c.value);
  return s.ok ? s.value.trim() : '';
}

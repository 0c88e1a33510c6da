import { JOB_NAMES, type JobName } from './jobs';

export type HandlerFn = (payload: unknown, job: { id?: string; name: string; attemptsMade: number }) => Promise<unknown>;

export interface DiscoveredHandler {
  name: string;
  owner: string;
  fn: HandlerFn;
}

/**
 * Checks the discovered handlers against the job list: every job exactly one handler, no
 * handler for an unknown job. Pure so it can be unit-tested; the worker calls it at start-up.
 */
export function buildHandlerMap(found: DiscoveredHandler[], expected: readonly string[] = JOB_NAMES): Map<JobName, HandlerFn> {
  const problems: string[] = [];
  const byName = new Map<string, DiscoveredHandler[]>();
  for (const h of found) byName.set(h.name, [...(byName.get(h.name) ?? []), h]);
  for (const name of expected) {
    const hs = byName.get(name) ?? [];
    if (hs.length === 0) problems.push(`job ${name} has no handler`);
    if (hs.length > 1) problems.push(`job ${name} has ${hs.length} handlers (${hs.map((h) => h.owner).join(', ')})`);
  }
  for (const name of byName.keys()) if (!expected.includes(name)) problems.push(`handler for unknown job ${name}`);
  if (problems.length) throw new Error(`job handler check failed: ${problems.join('; ')}`);
  return new Map([...byName].map(([name, hs]) => [name as JobName, hs[0].fn]));
}

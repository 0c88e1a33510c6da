import { describe, expect, it } from 'vitest';
import { buildHandlerMap, type DiscoveredHandler } from './job-handler-registry';
import { JOB_NAMES } from './jobs';

const h = (name: string, owner = 'X.handle'): DiscoveredHandler => ({ name, owner, fn: async () => name });

describe('buildHandlerMap (the worker start-up check)', () => {
  it('maps every job to its one handler', async () => {
    const map = buildHandlerMap([h('a'), h('b')], ['a', 'b']);
    expect([...map.keys()]).toEqual(['a', 'b']);
    await expect(map.get('a' as never)?.({}, { name: 'a', attemptsMade: 0 })).resolves.toBe('a');
  });

  it('refuses a job without a handler', () => {
    expect(() => buildHandlerMap([h('a')], ['a', 'b'])).toThrow(/job b has no handler/);
  });

  it('refuses two handlers for one job, naming both', () => {
    expect(() => buildHandlerMap([h('a', 'One.a'), h('a', 'Two.a')], ['a'])).toThrow(/job a has 2 handlers \(One\.a, Two\.a\)/);
  });

  it('refuses a handler for a job that is not in the list', () => {
    expect(() => buildHandlerMap([h('a'), h('zzz')], ['a'])).toThrow(/handler for unknown job zzz/);
  });

  it('checks against the real job list by default', () => {
    expect(() => buildHandlerMap([])).toThrow(new RegExp(`job ${JOB_NAMES[0].replace('.', '\\.')} has no handler`));
  });
});

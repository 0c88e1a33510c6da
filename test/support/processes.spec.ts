import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { explainWith, tail, watch, type Spawned } from './processes';

function run(script: string): Spawned {
  return watch(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('watch', () => {
  it('exited resolves only once the output is drained, even for a process killed by a signal', async () => {
    // Written as our logger writes (synchronously), then the signal: the way Nest ends a SIGTERM
    // shutdown (hooks, then the signal again).
    for (let i = 0; i < 5; i++) {
      const p = run(`const fs = require('fs'); for (let j = 0; j < 200; j++) fs.writeSync(1, 'line ' + j + '\\n'); fs.writeSync(1, 'last line'); process.kill(process.pid, 'SIGTERM')`);
      expect(await p.exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(p.output().endsWith('last line')).toBe(true);
    }
  });
});

describe('explainWith', () => {
  it('adds what the processes printed, and their exit, to the error of a failed step', async () => {
    const p = run(`console.log('listening'); console.error('EADDRINUSE 127.0.0.1:1234'); process.exit(3)`);
    await p.exited;
    const err = await explainWith([p, undefined], () => Promise.reject(new Error('ECONNREFUSED'))).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^ECONNREFUSED\n--- pid \d+ \(exit 3\):\n/);
    expect((err as Error).message).toContain('EADDRINUSE 127.0.0.1:1234');
  });

  it('returns the value of a step that worked', async () => {
    expect(await explainWith([], async () => 42)).toBe(42);
  });
});

describe('tail', () => {
  it('keeps the last lines only', () => {
    expect(tail('a\nb\nc\nd\n', 2)).toBe('c\nd');
  });
});

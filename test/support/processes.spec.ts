import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { explainWith, tail, type Spawned } from './processes';

function run(script: string): Spawned {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

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

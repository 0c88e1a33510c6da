import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    const value = await waitFor(() => (++n >= 3 ? { n } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ n: 3 });
  });

  it('treats 0 and empty string as values, not as "not yet"', async () => {
    await expect(waitFor(() => 0, { intervalMs: 1 })).resolves.toBe(0);
    await expect(waitFor(() => '', { intervalMs: 1 })).resolves.toBe('');
  });

  it('keeps polling through errors and reports the last one on timeout', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error('not ready');
        },
        { timeoutMs: 60, intervalMs: 5, description: 'the thing' },
      ),
    ).rejects.toThrow(/timed out after 60 ms waiting for the thing \(last error: not ready\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('times out on a probe that stays false', async () => {
    await expect(waitFor(() => false, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/timed out/);
  });
});

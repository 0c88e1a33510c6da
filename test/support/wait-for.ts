export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  description?: string;
}

/**
 * Polls `probe` until it returns a value other than undefined/false/null, or throws after
 * `timeoutMs` with the description and the last error. For waiting on a worker, never a sleep.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: WaitForOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, description = 'condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

import { describe, expect, it } from 'vitest';
import { Gate } from './upload-gate';

describe('upload gate', () => {
  it('runs one at a time, in arrival order, and a failure frees the slot', async () => {
    const gate = new Gate(1);
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, ms: number, fail = false) =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        running--;
        order.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a', 20), job('b', 5, true), job('c', 1)]);
    expect(most).toBe(1);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });
});

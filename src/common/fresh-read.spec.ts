import { describe, expect, it } from 'vitest';
import { FreshRead } from './fresh-read';

/** A store whose reads finish when told; each read answers the value at the moment it started. */
function store() {
  let value = 0;
  const pending: (() => void)[] = [];
  let reads = 0;
  const read = () => {
    reads++;
    const seen = value;
    return new Promise<number>((resolve) => pending.push(() => resolve(seen)));
  };
  const finishAll = async () => {
    while (pending.length) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { read, finishAll, set: (v: number) => (value = v), reads: () => reads };
}

describe('FreshRead: shared reads, each started after its caller called', () => {
  it('callers arriving while a read is in flight share the next read, not the one in flight', async () => {
    const s = store();
    const r = new FreshRead(s.read);
    const first = r.get(); // read 1 starts, sees 0
    s.set(1); // a write after read 1 started, before these callers
    const later = [r.get(), r.get(), r.get()];
    await s.finishAll();
    expect(await first).toBe(0);
    expect(await Promise.all(later)).toEqual([1, 1, 1]);
    expect(s.reads()).toBe(2);
  });

  it('a caller after every read ended starts its own', async () => {
    const s = store();
    const r = new FreshRead(s.read);
    const a = r.get();
    await s.finishAll();
    expect(await a).toBe(0);
    s.set(5);
    const b = r.get();
    await s.finishAll();
    expect(await b).toBe(5);
    expect(s.reads()).toBe(2);
  });

  it('a failed read fails its callers only; those queued behind it get a read of their own', async () => {
    let n = 0;
    const r = new FreshRead(() => (++n === 1 ? Promise.reject(new Error('down')) : Promise.resolve(n)));
    const a = r.get();
    const b = r.get();
    await expect(a).rejects.toThrow('down');
    expect(await b).toBe(2);
    expect(await r.get()).toBe(3);
  });
});

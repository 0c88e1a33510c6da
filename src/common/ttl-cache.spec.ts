import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('serves a value until it expires, then loads again', async () => {
    let t = 0;
    let loads = 0;
    const c = new TtlCache<number>(1000, 10, () => t);
    const load = async () => ++loads;
    expect(await c.get('a', load)).toBe(1);
    t = 999;
    expect(await c.get('a', load)).toBe(1);
    t = 1000;
    expect(await c.get('a', load)).toBe(2);
  });

  it('shares one pending load between concurrent callers', async () => {
    let loads = 0;
    const c = new TtlCache<number>(1000);
    const load = () => new Promise<number>((r) => setTimeout(() => r(++loads), 5));
    expect(await Promise.all([c.get('k', load), c.get('k', load), c.get('k', load)])).toEqual([1, 1, 1]);
  });

  it('does not remember failures', async () => {
    const c = new TtlCache<number>(1000);
    await expect(c.get('k', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await new Promise((r) => setTimeout(r, 0));
    expect(await c.get('k', async () => 7)).toBe(7);
  });

  it('with a zero lifetime always loads', async () => {
    let loads = 0;
    const c = new TtlCache<number>(0);
    await c.get('k', async () => ++loads);
    await c.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });

  it('stays within its size bound: the oldest entry makes room', async () => {
    let loads = 0;
    const c = new TtlCache<number>(10_000, 2);
    for (const k of ['a', 'b', 'c']) await c.get(k, async () => ++loads);
    expect(c.size).toBe(2);
    expect(await c.get('c', async () => ++loads)).toBe(3); // kept
    expect(await c.get('a', async () => ++loads)).toBe(4); // 'a' was dropped to make room
  });

  it('drops expired entries before live ones', async () => {
    let t = 0;
    let loads = 0;
    const c = new TtlCache<number>(100, 3, () => t);
    await c.get('old1', async () => ++loads);
    await c.get('old2', async () => ++loads);
    t = 50;
    await c.get('live', async () => ++loads);
    t = 120; // old1, old2 expired; live has until 150
    await c.get('new', async () => ++loads);
    expect(c.size).toBe(2);
    expect(await c.get('live', async () => ++loads)).toBe(3); // still cached
  });
});

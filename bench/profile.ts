/**
 * Summary of a V8 .cpuprofile (node --cpu-prof; bench/run.sh with BENCH_PROFILE=1): self time by
 * area (our src/<feature>, a node_modules package, Node internals, GC, idle) and the hottest
 * functions, plus inclusive time of our own functions, so "where does the api's CPU go" has an
 * answer with numbers.
 *
 *   node .local/bench-build/bench/profile.js bench/results/tmp/profiles/api.cpuprofile
 *   node .local/bench-build/bench/profile.js <file> timeline          CPU per second since start
 *   node .local/bench-build/bench/profile.js <file> <fromS> <toS>      only that window (e.g. one
 *                                                                     scenario, found on the timeline)
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const src = /\/(src|bench|migrations)\/([^/]+)/.exec(url);
  if (src) return src[1] === 'src' ? `src/${src[2].replace(/\.js$/, '')}` : src[1];
  if (url.startsWith('node:')) return 'node internals';
  return url.split('/').slice(-2).join('/');
}

export function summarize(p: Profile, top = 30): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;

  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  const inclusiveOurs = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id) as ProfileNode;
    if (n.callFrame.functionName === '(idle)') continue;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${a}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    // Inclusive time of our own (src/) functions: walk up once per distinct ancestor frame.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur) as ProfileNode;
      if (!/\/src\//.test(f.callFrame.url)) continue;
      const k = `${f.callFrame.functionName || '(anonymous)'} ${area(f.callFrame.url, '')}:${f.callFrame.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inclusiveOurs.set(k, (inclusiveOurs.get(k) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1)}%`.padStart(6);
  const ms = (us: number) => `${Math.round(us / 1000)} ms`.padStart(10);
  const list = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${pct(v)} ${ms(v)}  ${k}`);
  return [
    `profile: ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s wall, ${(busy / 1e6).toFixed(1)} s on CPU (not idle); percentages are of the on-CPU time`,
    '',
    'self time by area:',
    ...list(areas, 25),
    '',
    `hottest functions (self time), top ${top}:`,
    ...list(fns, top),
    '',
    'our functions (src/), inclusive time:',
    ...list(inclusiveOurs, 25),
    '',
  ].join('\n');
}

/** Busy CPU per second since the profile started, one digit a second (tenths of a core), ten a line. */
export function timeline(p: Profile): string {
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const perSecond: number[] = [];
  let ts = p.startTime;
  p.samples.forEach((id, i) => {
    ts += p.timeDeltas[i] ?? 0;
    const s = Math.floor((ts - p.startTime) / 1e6);
    if (!idle.has(id)) perSecond[s] = (perSecond[s] ?? 0) + (p.timeDeltas[i] ?? 0);
  });
  const lines: string[] = [];
  for (let s = 0; s <= (p.endTime - p.startTime) / 1e6; s += 10) {
    const digits = Array.from({ length: 10 }, (_, k) => String(Math.min(9, Math.round((perSecond[s + k] ?? 0) / 1e5)))).join('');
    lines.push(`${String(s).padStart(5)} s  ${digits}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The profile with only the samples between `fromS` and `toS` seconds after its start counted. */
export function windowOf(p: Profile, fromS: number, toS: number): Profile {
  let ts = p.startTime;
  const timeDeltas = p.timeDeltas.map((d) => {
    ts += d;
    const s = (ts - p.startTime) / 1e6;
    return s >= fromS && s < toS ? d : 0;
  });
  return { ...p, timeDeltas };
}

if (require.main === module) {
  const [file, from, to] = process.argv.slice(2);
  if (!file) throw new Error('usage: node profile.js <file.cpuprofile> [timeline | <fromS> <toS>]');
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (from === 'timeline') process.stdout.write(timeline(p));
  else if (from !== undefined && to !== undefined) process.stdout.write(`window ${from}–${to} s after start\n${summarize(windowOf(p, Number(from), Number(to)))}`);
  else process.stdout.write(summarize(p));
}

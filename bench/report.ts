/** Renders a results JSON (scenarios.ts) as the Markdown of bench/results/latest.md. */
import { readFileSync } from 'node:fs';
import type { BenchResults, Scenario } from './scenarios';

const fmt = (x: number | undefined | null, digits = 1): string => {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(Math.round(x * 10 ** digits) / 10 ** digits);
};

function row(s: Scenario): string {
  if (s.skipped) return `| ${s.id} | skipped | | | | | | | ${s.skipped} | |`;
  const h = s.headline ? `${fmt(s.headline.value, 2)} ${s.headline.unit}` : '–';
  const l = s.latencyMs;
  const limit = s.limit ? `${fmt(s.limit.value, 2)} ${s.limit.unit}` : '–';
  const ratio = s.limit ? `${fmt(s.limit.ratio, 3)}` : '–';
  const met = s.target ? (s.target.met ? '**met**' : '**not met**') : '';
  return `| ${s.id} | ${h} | ${fmt(l?.p50)} | ${fmt(l?.p95)} | ${fmt(l?.p99)} | ${fmt(s.pgMsPerOp, 2)} | ${limit} | ${ratio} | ${s.target?.text ?? ''} | ${met} |`;
}

function where(s: Scenario): string {
  if (s.skipped || (!s.use && !s.statements)) return '';
  const parts: string[] = [];
  const u = s.use;
  if (u) {
    const cores = Object.entries(u.cores)
      .map(([k, v]) => `${k} ${fmt(v, 2)}`)
      .join(', ');
    parts.push(`cores used: ${cores}; machine busy ${fmt(u.machineBusyPct)} %`);
    parts.push(`PostgreSQL executing ${fmt(u.pgActiveS, 1)} s of ${fmt(u.wallS, 1)} s wall (summed over backends); ${fmt(u.commits, 0)} commits, ${fmt(u.walSyncs, 0)} WAL flushes, ${fmt(u.walMb)} MB WAL`);
  }
  if (s.waits && s.waits.samples) {
    const top = Object.entries(s.waits.avgBackends)
      .slice(0, 5)
      .map(([k, v]) => `${k} ${fmt(v, 2)}`)
      .join(', ');
    parts.push(`app backends (avg of ${s.waits.samples} samples): ${top}${s.waits.apiRssMaxMb ? `; api RSS max ${fmt(s.waits.apiRssMaxMb)} MB` : ''}`);
  }
  if (s.counts) parts.push(`counts: ${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (s.statements?.length) {
    parts.push(
      `PostgreSQL statements (total ms, count, avg ms):<br>${s.statements
        .slice(0, 10)
        .map((x) => `\`${x.statement.slice(0, 90).replace(/`/g, "'")}\` ${fmt(x.totalMs)} ms, ${x.n}×, ${fmt(x.avgMs, 3)}`)
        .join('<br>')}`,
    );
  }
  for (const n of s.notes) parts.push(n);
  return `- **${s.id}** — ${s.title}\n${parts.map((p) => `  - ${p}`).join('\n')}`;
}

export function renderMarkdown(r: BenchResults, jsonName: string): string {
  const m = r.machine;
  const c = r.config;
  const lines = [
    `# Benchmark results (${r.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Raw data: \`bench/results/${jsonName}\`.${(c.only as string[] | undefined)?.length ? ` Partial run: ${(c.only as string[]).join(', ')} only.` : ''} Size \`${c.size}\`: ${c.villages} villages, ${fmt(c.residents as number, 0)} residents, ${fmt(c.finalizeEntries as number, 0)} entries to finalize, ${fmt(c.historyPostings as number, 0)} history postings; postings in the database ${fmt(r.volume.postingsAtStart, 0)} → ${fmt(r.volume.postingsAtEnd, 0)}.`,
    '',
    `Machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.postgres}, ${m.redis}, Node ${m.node}; fdatasync ${m.dataDirFdatasyncPerS}/s on the data disk. Load average at start ${r.loadAverage.start.join(' ')}, at end ${r.loadAverage.end.join(' ')} (the machine is shared).`,
    `PostgreSQL durable defaults: ${Object.entries(c.postgres as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(', ')}. api pool ${c.apiPoolSize}, worker concurrency ${c.workerConcurrency}, LOG_LEVEL=${c.logLevel}, api NODE_OPTIONS=${c.apiNodeOptions ? `\`${String(c.apiNodeOptions)}\`` : '(none)'}${c.loadGeneratorKeepsBodies ? '; load generator keeps every response body (BENCH_KEEP_BODIES=1)' : ''}.`,
    '',
    '| scenario | throughput | p50 ms | p95 ms | p99 ms | PG ms/op | limit (cheapest SQL) | ours / limit | target | |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.scenarios.map(row),
    `| api RSS | peak ${fmt(r.processes.apiPeakRssMb)} MB (max sampled under load ${fmt(r.processes.apiRssMaxUnderLoadMb)} MB); worker peak ${fmt(r.processes.workerPeakRssMb)} MB | | | | | | | ≤ 250 MB under load | ${(r.processes.apiPeakRssMb ?? Infinity) <= 250 ? '**met**' : '**not met**'} |`,
    '',
    'ours / limit: for throughput, our rate as a fraction of the limit\'s; for seconds and latency, how many times the limit\'s time we take. PG ms/op: PostgreSQL statement time (pg_stat_database.active_time, summed over backends) per operation.',
    '',
    '## Where the time went',
    '',
    ...r.scenarios.map(where).filter(Boolean),
    '',
    '## Statements PostgreSQL logged as slower than 250 ms',
    '',
    ...(r.slowStatements.length ? r.slowStatements.map((s) => `- ${s.ms} ms (slow ${s.times}×): \`${s.statement.replace(/`/g, "'")}\``) : ['- none']),
    '',
    `Generation (s): ${Object.entries(r.generate).map(([k, v]) => `${k} ${fmt(v / 1000)}`).join('; ')}; build ${fmt(c.buildSeconds as number)} s.`,
    '',
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node report.js <results.json>');
  process.stdout.write(renderMarkdown(JSON.parse(readFileSync(file, 'utf8')), file.split('/').pop() as string));
}

// Prints the one closing line CI reads — "N passed, N failed, N skipped" — from vitest's JSON
// report, and exits non-zero when a test failed, a file failed to load, or nothing ran.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`tests: no report at ${file} (${err.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'));
for (const r of brokenFiles) console.log(`file failed outside a test: ${r.name}: ${(r.message ?? '').split('\n')[0]}`);
const failedTotal = failed + brokenFiles.length;
console.log(`${passed} passed, ${failedTotal} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedTotal > 0 || passed === 0 ? 1 : 0);

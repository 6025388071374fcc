// The one test command (README, .ci/run): runs vitest once with the JSON reporter beside the default one,
// then prints the suites that skipped and a final `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const resultsFile = join(process.cwd(), '.test-results.json');
const skipLog = join(tmpdir(), `ward-skipped-${process.pid}.log`);
rmSync(resultsFile, { force: true });
rmSync(skipLog, { force: true });

const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, WARD_SKIP_LOG: skipLog } });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(resultsFile)) {
  const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numFailedTestSuites: number;
    numTotalTests: number;
  };
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numFailedTests === 0 && run.status !== 0 ? report.numFailedTestSuites : 0);
  skipped = report.numPendingTests + report.numTodoTests;
} else {
  failed = 1;
}
if (existsSync(skipLog)) {
  const lines = [...new Set(readFileSync(skipLog, 'utf8').trim().split('\n').filter(Boolean))];
  if (lines.length) {
    console.log(`\nSkipped suites (services not found on this machine; CI=true makes these failures):`);
    for (const line of lines) console.log(`  - ${line}`);
  }
}
if (passed + failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);

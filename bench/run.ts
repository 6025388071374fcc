// `npm run bench -- <suite> [--quick]`: runs bench/<suite>.ts (or every suite with no name).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printTable, writeResults, type BenchSuite } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'harness.ts', 'load.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const requested = args.filter((a) => !a.startsWith('--'));
const suites = requested.length ? requested : available;
for (const suite of suites) {
  if (!available.includes(suite)) {
    console.error(`unknown bench suite "${suite}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
for (const suite of suites) {
  const module = (await import(pathToFileURL(join(here, `${suite}.ts`)).href)) as { default: BenchSuite };
  const results = await module.default({ quick });
  printTable(suite, results);
  console.log(`\nwritten: ${writeResults(suite, results)}`);
}
process.exit(0);

// Shared benchmark plumbing: every suite returns results with a baseline measured in the same run,
// printed as a table and written to .bench/<suite>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline measured in this run (e.g. direct OpenSSH), or null. */
  baseline: number | null;
  /** value / baseline, or null when there is no baseline. */
  ratio: number | null;
  better: 'higher' | 'lower';
  /** What the baseline was, for the table. */
  baselineName?: string;
  /** The target from PRODUCT.md, stated in the same unit, for the table. */
  target?: string;
}

export type BenchSuite = (options: { quick: boolean }) => Promise<BenchResult[]>;

export function result(
  name: string,
  value: number,
  unit: string,
  better: 'higher' | 'lower',
  baseline?: { value: number; name: string } | null,
  target?: string,
): BenchResult {
  return {
    name,
    value: round(value),
    unit,
    baseline: baseline ? round(baseline.value) : null,
    ratio: baseline && baseline.value !== 0 ? round(value / baseline.value, 3) : null,
    better,
    ...(baseline ? { baselineName: baseline.name } : {}),
    ...(target ? { target } : {}),
  };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Percentile of a list of samples (nearest rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function printTable(suite: string, results: BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    `${r.value} ${r.unit}`,
    r.baseline === null ? '—' : `${r.baseline} ${r.unit}${r.baselineName ? ` (${r.baselineName})` : ''}`,
    r.ratio === null ? '—' : String(r.ratio),
    r.better,
    r.target ?? '',
  ]);
  const header = ['benchmark', 'value', 'baseline', 'ratio', 'better', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n## bench: ${suite}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

export function writeResults(suite: string, results: BenchResult[]): string {
  const dir = join(process.cwd(), '.bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  writeFileSync(file, JSON.stringify({ suite, results }, null, 2));
  return file;
}

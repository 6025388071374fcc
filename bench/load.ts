// Runs bench/_load.ts in a child process and summarises its latencies.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from './harness.js';

export interface LoadResult {
  count: number;
  errors: number;
  statuses: Record<string, number>;
  perSecond: number;
  p50: number;
  p99: number;
}

const here = dirname(fileURLToPath(import.meta.url));

export function runLoad(spec: {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  concurrency: number;
  seconds: number;
  rate?: number;
  /** Fixed schedule regardless of answers (needs rate); see _load.ts. */
  openLoop?: boolean;
  requests?: { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> }[];
}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, '_load.ts'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const raw = JSON.parse(out) as { count: number; errors: number; statuses: Record<string, number>; elapsed: number; latencies: number[] };
      resolve({
        count: raw.count,
        errors: raw.errors,
        statuses: raw.statuses,
        perSecond: raw.count / raw.elapsed,
        p50: percentile(raw.latencies, 50),
        p99: percentile(raw.latencies, 99),
      });
    });
  });
}

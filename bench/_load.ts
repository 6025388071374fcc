// A load generator run as a separate process (so it does not share the server's event loop):
// keeps `concurrency` requests in flight for `seconds` and prints latencies as JSON on stdout.
import { Agent, request } from 'node:http';

interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  concurrency: number;
  seconds: number;
  /** Requests per second across all workers; 0 means as fast as possible. */
  rate?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
const target = new URL(spec.url);
const latencies: number[] = [];
let errors = 0;
const statuses: Record<string, number> = {};
const deadline = performance.now() + spec.seconds * 1000;
const interval = spec.rate ? (1000 * spec.concurrency) / spec.rate : 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: spec.method,
        headers: { ...(spec.body ? { 'content-type': 'application/json' } : {}), ...spec.headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          if ((res.statusCode ?? 500) >= 400) errors += 1;
          latencies.push(performance.now() - started);
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors += 1;
      resolve();
    });
    if (spec.body) req.write(spec.body);
    req.end();
  });
}

async function worker(offset: number): Promise<void> {
  let next = performance.now() + offset;
  while (performance.now() < deadline) {
    if (interval) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += interval;
    }
    await once();
  }
}

const begun = performance.now();
await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => worker(interval ? (i * interval) / spec.concurrency : 0)));
const elapsed = (performance.now() - begun) / 1000;
agent.destroy();
process.stdout.write(JSON.stringify({ count: latencies.length, errors, statuses, elapsed, latencies }));

// A load generator run as a separate process (so it does not share the server's event loop). Closed loop (default):
// keeps `concurrency` requests in flight for `seconds`. Open loop (`openLoop` with `rate`): sends on a fixed schedule
// whether or not earlier answers came back, so a slow server shows in the latencies instead of lowering the rate.
// Requests rotate through `requests` when given. Prints latencies as JSON on stdout.
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
  openLoop?: boolean;
  /** Paths (with method, body, headers) to rotate through instead of the url's own. */
  requests?: { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> }[];
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
const target = new URL(spec.url);
const latencies: number[] = [];
let errors = 0;
const statuses: Record<string, number> = {};
const deadline = performance.now() + spec.seconds * 1000;
const interval = spec.rate ? (1000 * spec.concurrency) / spec.rate : 0;

let sent = 0;
function once(): Promise<void> {
  const rotated = spec.requests?.[sent++ % spec.requests.length];
  const body = rotated ? rotated.body : spec.body;
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: rotated ? rotated.path : target.pathname + target.search,
        method: rotated?.method ?? spec.method,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...spec.headers, ...rotated?.headers },
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
    if (body) req.write(body);
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

async function openLoop(rate: number): Promise<void> {
  const total = Math.round(rate * spec.seconds);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(once());
  }
  await Promise.all(pending);
}

const begun = performance.now();
if (spec.openLoop && spec.rate) await openLoop(spec.rate);
else await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => worker(interval ? (i * interval) / spec.concurrency : 0)));
const elapsed = (performance.now() - begun) / 1000;
agent.destroy();
process.stdout.write(JSON.stringify({ count: latencies.length, errors, statuses, elapsed, latencies }));

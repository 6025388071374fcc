/* global performance, process, setTimeout */
// Open-loop HTTP load at a fixed rate, run as its own process so the client does not steal the server's CPU.
// argv: JSON { port, rate, seconds, requests: [{ method, path, body?, token }] } → stdout: JSON latency stats.
import http from 'node:http';

const { port, rate, seconds, requests } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const latencies = [];
let failures = 0;
const total = rate * seconds;
const interval = 1000 / rate;
const start = performance.now();
const pending = [];
for (let i = 0; i < total; i++) {
  const wait = start + i * interval - performance.now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  const spec = requests[i % requests.length];
  pending.push(
    new Promise((resolve) => {
      const sent = performance.now();
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: spec.method,
          path: spec.path,
          agent,
          headers: { authorization: `Bearer ${spec.token}`, ...(spec.body ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - sent);
            if (res.statusCode !== 200) failures++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end(spec.body);
    }),
  );
}
await Promise.all(pending);
const elapsed = (performance.now() - start) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))];
process.stdout.write(JSON.stringify({ p50: at(50), p99: at(99), achieved: latencies.length / elapsed, failures }));

// Child process for the crash test: appends audit events under load forever and prints "ack <sequence> <id>"
// for every append that resolved. The parent kills it with SIGKILL mid-stream.
import { openDatabase } from '../../src/platform/database/index.js';
import { createAuditTrail } from '../../src/audit/service.js';
import { loadOrCreateAuditSigner } from '../../src/audit/keys.js';
import { systemClock } from '../../src/platform/clock.js';
import { sampleEvent } from './helpers.js';

const [url, dataDir] = process.argv.slice(2) as [string, string];
const database = openDatabase(url);
const trail = createAuditTrail({
  db: database.db,
  dialect: database.dialect,
  clock: systemClock,
  nodeId: 'crash-child',
  signers: [loadOrCreateAuditSigner(dataDir)],
  checkpointEvery: { events: 100, seconds: 1 },
});

let i = 0;
process.stdout.write('ready\n');
while (true) {
  const batch = Array.from({ length: 64 }, () => {
    const n = i++;
    return trail.append(sampleEvent(n)).then((record) => {
      process.stdout.write(`ack ${record.sequence} ${record.id}\n`);
    });
  });
  await Promise.all(batch);
}

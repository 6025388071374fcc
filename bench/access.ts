// `npm run bench -- access`: request→grant latency (auto-approved and break-glass) and expiry precision
// (how late after the deadline grants end) while 1,000 grants are live, with the real timer scheduler on the
// embedded store. Baselines from the same run: a bare insert+commit on the same database for latency, and
// a bare setTimeout's lateness at the same deadlines for expiry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrateToLatest } from '../src/platform/database/index.js';
import { allMigrations } from '../src/server/migrations.js';
import { systemClock } from '../src/platform/clock.js';
import { createEventBus } from '../src/platform/events.js';
import { newId } from '../src/platform/ids.js';
import { createMemoryAuditLog } from '../src/audit/memory.js';
import { createAccessService, createMemoryNotifier, createRiskTierPolicy } from '../src/access/index.js';
import { createFixtureDirectory, createFixtureInventory, seedHospital } from '../src/access/fixtures.js';
import { percentile, result, type BenchSuite } from './harness.js';

const suite: BenchSuite = async ({ quick }) => {
  const dir = mkdtempSync(join(tmpdir(), 'ward-bench-access-'));
  const database = openDatabase(`sqlite://${join(dir, 'ward.db')}`);
  await migrateToLatest(database.db, allMigrations, 'sqlite');
  const directory = createFixtureDirectory();
  const inventory = createFixtureInventory();
  seedHospital(directory, inventory);
  const liveGrants = quick ? 200 : 1000;
  const samples = quick ? 50 : 200;
  const users = Array.from({ length: 50 }, (_, i) => directory.add({ id: `user${i}`, managerId: 'maria' }, ['access.request', 'access.breakglass']).id);
  const events = createEventBus();
  const service = createAccessService({
    db: database.db,
    directory,
    inventory,
    policy: createRiskTierPolicy(),
    audit: createMemoryAuditLog(),
    clock: systemClock,
    events,
    notifier: createMemoryNotifier(),
    publicUrl: 'https://ward.example.org',
    scheduler: 'timer',
    settings: { minDurationSeconds: 1, repeatedBreakglassCount: 1_000_000, idleSeconds: 3600 },
  });
  await service.start();
  const justification = 'benchmark: routine maintenance window';

  // 1,000 live grants whose deadlines fall a few seconds from now, spread by their creation times.
  const deadlines = new Map<string, number>();
  const lateness: number[] = [];
  let endedCount = 0;
  let allEnded!: () => void;
  const done = new Promise<void>((resolve) => (allEnded = resolve));
  events.subscribe('access.grant.ended', ({ grantId, reason }) => {
    const deadline = deadlines.get(grantId);
    if (deadline === undefined || reason !== 'expired') return;
    lateness.push(Date.now() - deadline);
    if (++endedCount === liveGrants) allEnded();
  });
  const expirySeconds = quick ? 6 : 15;
  for (let i = 0; i < liveGrants; i++) {
    const view = await service.request(directory.actor(users[i % users.length]!), { target: 'wiki-01', durationSeconds: expirySeconds, reasonCode: 'HSYSADMIN', justification });
    deadlines.set(view.grantId!, view.startsAt + view.durationSeconds * 1000);
  }

  // Latency while those grants are live.
  const bare: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('access_oncall_shifts').values({ id: newId(), source: 'bench', zone_id: 'z', user_id: 'u', starts_at: 0, ends_at: 1, imported_at: 0 }).execute();
    });
    bare.push(performance.now() - started);
  }
  const auto: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const view = await service.request(directory.actor(users[i % users.length]!), { target: 'wiki-01', durationSeconds: 3600, reasonCode: 'HSYSADMIN', justification });
    if (!view.grantId) throw new Error('not auto-approved');
    auto.push(performance.now() - started);
  }
  const glass: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await service.breakglass(directory.actor(users[i % users.length]!, { mfaVerifiedAt: Date.now() }), { target: 'pacs', reasonCode: 'BTG', justification });
    glass.push(performance.now() - started);
  }

  const timeout = setTimeout(() => allEnded(), (expirySeconds + 30) * 1000);
  await done;
  clearTimeout(timeout);

  // Baseline: bare setTimeouts at the same deadline spacing, measured now.
  const offset = Date.now() + 2000 - Math.min(...deadlines.values());
  const timerLateness: number[] = [];
  await new Promise<void>((resolve) => {
    let fired = 0;
    for (const deadline of deadlines.values()) {
      const at = deadline + offset;
      setTimeout(() => {
        timerLateness.push(Date.now() - at);
        if (++fired === deadlines.size) resolve();
      }, at - Date.now());
    }
  });

  await service.stop();
  await database.close();
  rmSync(dir, { recursive: true, force: true });

  const bareBase = (p: number) => ({ value: percentile(bare, p), name: 'bare insert+commit' });
  const timerBase = (p: number) => ({ value: percentile(timerLateness, p), name: 'bare setTimeout' });
  return [
    result('request→grant, auto-approved p50', percentile(auto, 50), 'ms', 'lower', bareBase(50)),
    result('request→grant, auto-approved p99', percentile(auto, 99), 'ms', 'lower', bareBase(99)),
    result('break-glass → active grant p50', percentile(glass, 50), 'ms', 'lower', bareBase(50), '< 1000 ms'),
    result('break-glass → active grant p99', percentile(glass, 99), 'ms', 'lower', bareBase(99), '< 1000 ms'),
    result(`expiry lateness p50 (${liveGrants} live grants)`, percentile(lateness, 50), 'ms', 'lower', timerBase(50), '< 1000 ms'),
    result(`expiry lateness p99 (${liveGrants} live grants)`, percentile(lateness, 99), 'ms', 'lower', timerBase(99), '< 1000 ms'),
    result(`expiry lateness max (${liveGrants} live grants)`, Math.max(...lateness), 'ms', 'lower', { value: Math.max(...timerLateness), name: 'bare setTimeout' }, '< 1000 ms'),
    result('grants ended on expiry', endedCount, 'grants', 'higher', { value: liveGrants, name: 'grants created' }),
  ];
};

export default suite;

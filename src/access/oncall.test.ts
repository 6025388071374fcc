import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/dialects.js';
import { isWardError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { createStoredOnCallSchedule, parseOnCallFile } from './oncall.js';

it('parses CSV and YAML rota exports and names the broken line', () => {
  const csv = 'zone,user,start,end\nicu,dave,2026-11-23T08:00:00Z,2026-11-23T20:00:00Z\n';
  expect(parseOnCallFile(csv, 'csv')).toEqual([{ zone: 'icu', user: 'dave', start: '2026-11-23T08:00:00Z', end: '2026-11-23T20:00:00Z' }]);
  const yaml = '- zone: icu\n  user: dave\n  start: "2026-11-23T08:00:00Z"\n  end: "2026-11-23T20:00:00Z"\n';
  expect(parseOnCallFile(yaml, 'yaml')).toHaveLength(1);
  const error = (() => {
    try {
      parseOnCallFile('- zone: icu\n  user: dave\n', 'yaml');
    } catch (e) {
      return e;
    }
  })();
  expect(isWardError(error, 'VALIDATION_FAILED')).toBe(true);
  expect((error as Error).message).toContain('shift 1 lacks "start"');
});

describeEachDialect('stored on-call schedule', (ctx) => {
  it('answers who is on call for a zone at a moment, and an import replaces only its own source', async () => {
    const schedule = createStoredOnCallSchedule(ctx.database.db);
    const zone = `zone-${newId()}`;
    await schedule.replace('rota-a', [{ zoneId: zone, userId: 'dave', startsAt: 1000, endsAt: 2000 }], 0);
    await schedule.replace('rota-b', [{ zoneId: zone, userId: 'erin', startsAt: 1500, endsAt: 3000 }], 0);
    expect(await schedule.isOnCall('dave', zone, 1000)).toBe(true);
    expect(await schedule.isOnCall('dave', zone, 2000)).toBe(false);
    expect((await schedule.onCallFor(zone, 1600)).sort()).toEqual(['dave', 'erin']);
    await schedule.replace('rota-a', [{ zoneId: zone, userId: 'frank', startsAt: 1000, endsAt: 2000 }], 0);
    expect((await schedule.onCallFor(zone, 1600)).sort()).toEqual(['erin', 'frank']);
    await expect(schedule.replace('rota-a', [{ zoneId: zone, userId: 'x', startsAt: 5, endsAt: 5 }], 0)).rejects.toThrow(/end after it starts/);
    expect((await schedule.onCallFor(zone, 1600)).sort()).toEqual(['erin', 'frank']);
  });
});

import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/dialects.js';
import { createManualClock } from '../platform/clock.js';
import { createEventBus } from '../platform/events.js';
import { defaultAuthSettings } from '../platform/config.js';
import { allPermissions } from '../platform/permissions.js';
import { createMemoryAuditLog } from '../audit/memory.js';
import { createIdentityService, ensureBootstrapAdmin } from './index.js';

describeEachDialect('bootstrap administrator', (ctx) => {
  it('is created exactly once when two nodes start at the same moment', async () => {
    const nodes = [1, 2].map(() =>
      createIdentityService({
        db: ctx.database.db,
        audit: createMemoryAuditLog(),
        clock: createManualClock(),
        events: createEventBus(),
        settings: defaultAuthSettings,
        webauthn: { rpId: 'localhost', rpName: 'Ward', origins: ['http://localhost:8080'] },
        passwordHashing: { memoryCost: 4096, timeCost: 1 },
      }),
    );
    const results = await Promise.all(nodes.map((node) => ensureBootstrapAdmin(node, {})));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.filter((r) => r.oneTimePassword !== undefined).length).toBeLessThanOrEqual(2);
    const admin = (await nodes[0]!.findUserByUsername('admin'))!;
    const access = await nodes[0]!.effectiveAccess(admin.id);
    expect(access!.user.roles.map((r) => r.name)).toEqual(['ward-admin']);
    expect(access!.user.permissions).toEqual([...allPermissions].sort());
    expect(await nodes[1]!.listRoles()).toHaveLength(1);
  });

  it('does nothing on a later start, whatever password is supplied', async () => {
    const node = createIdentityService({
      db: ctx.database.db,
      audit: createMemoryAuditLog(),
      clock: createManualClock(),
      events: createEventBus(),
      settings: defaultAuthSettings,
      webauthn: { rpId: 'localhost', rpName: 'Ward', origins: ['http://localhost:8080'] },
    });
    const admin = await node.findUserByUsername('admin');
    expect(admin).not.toBeNull();
    expect(await ensureBootstrapAdmin(node, { password: 'admin' })).toEqual({ created: false, username: 'admin' });
  });
});

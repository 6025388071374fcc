import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/support/dialects.js';
import { createMemoryAuditLog } from '../audit/memory.js';
import { createManualClock } from '../platform/clock.js';
import { isWardError } from '../platform/errors.js';
import { createInventoryService, type InventoryService } from './service.js';
import type { Actor } from './types.js';

const admin: Actor = { id: 'u-admin', kind: 'user', name: 'admin' };

describeEachDialect('inventory service', (ctx) => {
  let inventory: InventoryService;
  const audit = createMemoryAuditLog();
  beforeAll(() => {
    inventory = createInventoryService({ db: ctx.database.db, audit, clock: createManualClock() });
  });

  it('creates zones, targets and accounts with a computed risk tier, and audits each', async () => {
    const zone = await inventory.createZone({ name: 'Clinical Systems', gatewayIds: ['gw-clin-1'] }, admin);
    const target = await inventory.createTarget(
      { name: 'ehr-db-01', address: '10.1.2.3', protocols: ['ssh', 'postgres'], zone: 'clinical systems', criticality: 'clinical-critical', ephiSensitivity: 'full', tags: ['ehr'] },
      admin,
    );
    expect(target.zoneId).toBe(zone.id);
    expect(target.riskTier).toBe('critical');
    const account = await inventory.createAccount(target.id, { username: 'postgres', kind: 'service', privilegeLevel: 'admin' }, admin);
    expect(account.managed).toBe(true);
    expect(audit.find('inventory.target.created')[0]?.target?.name).toBe('ehr-db-01');
    expect(audit.find('inventory.account.created')[0]?.target?.account).toBe('postgres');
    const updated = await inventory.updateTarget(target.id, { criticality: 'low', ephiSensitivity: 'none' }, admin);
    expect(updated.riskTier).toBe('low');
  });

  it('refuses a second target whose name differs only by case or width', async () => {
    await inventory.createZone({ name: 'Enterprise IT' }, admin);
    await inventory.createTarget({ name: 'mail-01', address: 'mail.local', protocols: ['ssh'], zone: 'Enterprise IT', criticality: 'medium', ephiSensitivity: 'limited' }, admin);
    const error = await inventory
      .createTarget({ name: 'ＭＡＩＬ-01', address: 'mail2.local', protocols: ['ssh'], zone: 'Enterprise IT', criticality: 'medium', ephiSensitivity: 'limited' }, admin)
      .catch((e: unknown) => e);
    expect(isWardError(error, 'NAME_TAKEN')).toBe(true);
  });

  it('refuses to delete a zone that still has targets', async () => {
    const zone = await inventory.createZone({ name: 'Devices' }, admin);
    await inventory.createTarget({ name: 'infusion-pump-7', address: '10.9.9.7', protocols: ['https'], zone: zone.id, criticality: 'high', ephiSensitivity: 'none' }, admin);
    await expect(inventory.deleteZone(zone.id, admin)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('imports YAML zones, targets and accounts and is idempotent on re-import', async () => {
    const yaml = `
zones:
  - name: Imaging
    gateways: [gw-img-1]
targets:
  - name: pacs-01
    address: pacs.hospital.local
    protocols: [ssh]
    zone: Imaging
    criticality: high
    ephi: full
    tags: [pacs]
    passwordPolicy: { length: 16, symbols: false, exclude: "0Ol1" }
    accounts:
      - { username: root, kind: human-admin, privilege: root }
      - { username: dicom, kind: service }
`;
    const first = await inventory.importInventory({ format: 'yaml', content: yaml }, admin);
    expect(first).toMatchObject({ zonesCreated: 1, targetsCreated: 1, accountsCreated: 2 });
    const again = await inventory.importInventory({ format: 'yaml', content: yaml }, admin);
    expect(again).toMatchObject({ zonesUpdated: 1, targetsUpdated: 1, accountsUpdated: 2, accountsCreated: 0 });
    const pacs = await inventory.findTargetByName('PACS-01');
    expect(pacs?.passwordPolicy).toMatchObject({ length: 16, symbols: false, exclude: '0Ol1' });
    expect(audit.find('inventory.imported')).toHaveLength(2);
  });

  it('imports CSV all-or-nothing: one bad row writes nothing and names the row', async () => {
    const csv = [
      'zone,target,address,protocols,criticality,ephi,owner,tags,username,kind,privilege,account_owner,managed',
      'Imaging,ris-01,ris.local,ssh,high,full,,ris,admin,human-admin,admin,,true',
      'Imaging,ris-02,ris2.local,ssh,urgent,full,,,admin,human-admin,admin,,true',
      'Nowhere,ris-03,ris3.local,ssh,low,none,,,svc,service,,,false',
    ].join('\n');
    const error = await inventory.importInventory({ format: 'csv', content: csv }, admin).catch((e: unknown) => e);
    expect(isWardError(error, 'VALIDATION_FAILED')).toBe(true);
    expect((error as Error).message).toContain('row 3: criticality must be one of');
    expect(await inventory.findTargetByName('ris-01')).toBeUndefined();

    const unknownZone = csv.split('\n').filter((_, i) => i !== 2).join('\n');
    const zoneError = await inventory.importInventory({ format: 'csv', content: unknownZone }, admin).catch((e: unknown) => e);
    expect((zoneError as Error).message).toContain('row 3: zone "Nowhere" does not exist');
    expect(await inventory.findTargetByName('ris-01')).toBeUndefined();

    const good = csv.split('\n').slice(0, 2).join('\n');
    const dry = await inventory.importInventory({ format: 'csv', content: good, dryRun: true }, admin);
    expect(dry).toMatchObject({ targetsCreated: 1, dryRun: true });
    expect(await inventory.findTargetByName('ris-01')).toBeUndefined();
    await inventory.importInventory({ format: 'csv', content: good }, admin);
    expect(await inventory.findTargetByName('ris-01')).toMatchObject({ riskTier: 'critical' });
  });
});

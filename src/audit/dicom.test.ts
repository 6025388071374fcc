import { describe, expect, it } from 'vitest';
import { dicomByAction, dicomFor } from './dicom.js';

describe('Ward action to DICOM audit code mapping', () => {
  it.each([
    ['auth.login', '110114', '110122'],
    ['auth.logout', '110114', '110123'],
    ['access.breakglass.started', '110113', '110127'],
    ['access.breakglass.ended', '110113', '110138'],
    ['identity.role.assigned', '110113', '110136'],
    ['identity.user.locked', '110113', '110137'],
    ['audit.log.used', '110101', undefined],
  ])('maps %s to type %s and subtype %s', (action, type, subtype) => {
    const mapping = dicomFor(action);
    expect(mapping.type.code).toBe(type);
    expect(mapping.subtype?.code).toBe(subtype);
  });

  it('falls back to the longest prefix, then to Application Activity', () => {
    expect(dicomFor('identity.role.permissions.changed').subtype?.code).toBe('110136');
    expect(dicomFor('auth.mfa.fatigue').type.code).toBe('110114');
    expect(dicomFor('inventory.target.created').type.code).toBe('110100');
  });

  it('uses only DICOM codes in the 1101xx audit range with a display', () => {
    for (const mapping of Object.values(dicomByAction)) {
      for (const code of [mapping.type, mapping.subtype].filter(Boolean)) {
        expect(code!.code).toMatch(/^1101\d\d$/);
        expect(code!.display.length).toBeGreaterThan(0);
      }
    }
  });
});

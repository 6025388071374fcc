import { describe, expect, it } from 'vitest';
import { validateTarget } from './validate.js';
import type { TargetInput } from './types.js';

const target = (sessionPolicy: TargetInput['sessionPolicy']): TargetInput => ({
  name: 'pacs-01',
  address: '10.0.0.5',
  protocols: ['ssh'],
  zone: 'imaging',
  criticality: 'high',
  ephiSensitivity: 'full',
  sessionPolicy,
});

describe('target session rules', () => {
  it('accepts allow-list entries the gateway can match, quoted arguments included', () => {
    expect(validateTarget(target({ commandControl: 'allow', allowedCommands: ['systemctl restart dicom', 'systemctl status "dicom listener"'] }))).toEqual([]);
  });

  it('refuses entries the gateway would refuse to run, with the parser\'s reason, and an empty allow-list', () => {
    expect(validateTarget(target({ commandControl: 'allow', allowedCommands: ['uptime; id', 'ls #x', 'echo "unterminated'] }))).toEqual([
      expect.stringContaining('allowedCommands[0] is refused (shell metacharacter ";")'),
      expect.stringContaining('allowedCommands[1] is refused (shell metacharacter "#")'),
      expect.stringContaining('allowedCommands[2] is refused (unterminated quote)'),
    ]);
    expect(validateTarget(target({ commandControl: 'allow' }))).toEqual([expect.stringContaining('needs at least one allowed command')]);
  });

  it('refuses unknown settings and out-of-range values', () => {
    const errors = validateTarget(target({ idleTimeoutMinutes: 0, shell: true } as never));
    expect(errors).toEqual([expect.stringContaining('sessionPolicy.shell is not a session setting'), expect.stringContaining('idleTimeoutMinutes must be an integer from 1 to 480')]);
  });
});

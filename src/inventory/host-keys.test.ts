import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hostFieldMatches, sshEndpoint } from './host-keys.js';

describe('SSH endpoint of a target address', () => {
  it('takes the port from host:port and [v6]:port and defaults to 22', () => {
    expect(sshEndpoint('ehr-db-01.example.org')).toEqual({ host: 'ehr-db-01.example.org', port: 22 });
    expect(sshEndpoint('10.0.0.5:2222')).toEqual({ host: '10.0.0.5', port: 2222 });
    expect(sshEndpoint('[fd00::5]:2200')).toEqual({ host: 'fd00::5', port: 2200 });
    expect(sshEndpoint('fd00::5')).toEqual({ host: 'fd00::5', port: 22 });
    expect(() => sshEndpoint('host:99999')).toThrow(/port/);
  });
});

describe('known_hosts host fields', () => {
  it('matches plain names, [host]:port and hashed entries, and nothing else', () => {
    expect(hostFieldMatches('ehr-db-01,10.0.0.5', 'ehr-db-01', 22)).toBe(true);
    expect(hostFieldMatches('ehr-db-01', 'ehr-db-01', 2222)).toBe(false);
    expect(hostFieldMatches('[ehr-db-01]:2222', 'ehr-db-01', 2222)).toBe(true);
    expect(hostFieldMatches('!ehr-db-01', 'ehr-db-01', 22)).toBe(false);
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2222').digest('base64')}`;
    expect(hostFieldMatches(hashed, '10.0.0.5', 2222)).toBe(true);
    expect(hostFieldMatches(hashed, '10.0.0.6', 2222)).toBe(false);
  });
});

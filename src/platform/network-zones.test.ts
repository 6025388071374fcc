import { describe, expect, it } from 'vitest';
import { parseNetworkZones } from './network-zones.js';

describe('network zones from client addresses', () => {
  const zones = parseNetworkZones('vpn=10.8.0.0/16, enterprise=10.0.0.0/8|192.168.0.0/16, internet=0.0.0.0/0|::/0', 'enterprise');

  it('takes the first zone whose range holds the address, IPv4-mapped addresses included', () => {
    expect(zones.zoneOf('10.8.3.4')).toBe('vpn');
    expect(zones.zoneOf('10.9.3.4')).toBe('enterprise');
    expect(zones.zoneOf('::ffff:192.168.1.20')).toBe('enterprise');
    expect(zones.zoneOf('203.0.113.7')).toBe('internet');
    expect(zones.zoneOf('2001:db8::1')).toBe('internet');
  });

  it('falls back to the configured zone without ranges, for unknown addresses and for no address', () => {
    expect(parseNetworkZones(undefined, 'enterprise').zoneOf('203.0.113.7')).toBe('enterprise');
    expect(parseNetworkZones('vpn=10.8.0.0/16', 'clinical').zoneOf('203.0.113.7')).toBe('clinical');
    expect(zones.zoneOf(undefined)).toBe('enterprise');
    expect(zones.zoneOf('not-an-address')).toBe('enterprise');
  });

  it('refuses a malformed setting with a clear message', () => {
    expect(() => parseNetworkZones('vpn', 'enterprise')).toThrow(/zone=CIDR/);
    expect(() => parseNetworkZones('vpn=10.8.0.0/33', 'enterprise')).toThrow(/not a CIDR range/);
    expect(() => parseNetworkZones('VPN=10.8.0.0/16', 'enterprise')).toThrow(/lower-case/);
  });
});

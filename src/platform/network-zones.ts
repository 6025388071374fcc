// Which network zone a client address belongs to, for policies' `context.networkZone` (e.g. the hospital pack
// refuses critical targets from "internet"). `WARD_NETWORK_ZONES` maps zones to CIDR ranges, first match wins:
//   vpn=10.8.0.0/16,enterprise=10.0.0.0/8|192.168.0.0/16,internet=0.0.0.0/0|::/0
// Addresses no range covers get `WARD_NETWORK_ZONE` (default enterprise).
import { BlockList, isIP } from 'node:net';
import { WardError } from './errors.js';

export interface NetworkZones {
  zoneOf(address: string | undefined): string;
}

const zoneName = /^[a-z][a-z0-9_-]{0,63}$/;

export function parseNetworkZones(spec: string | undefined, fallback: string): NetworkZones {
  const entries: { zone: string; ranges: BlockList }[] = [];
  for (const raw of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [zone, cidrs] = raw.split('=', 2).map((s) => s.trim());
    if (!zone || !zoneName.test(zone) || !cidrs) {
      throw new WardError('VALIDATION_FAILED', `WARD_NETWORK_ZONES: "${raw}" must be zone=CIDR[|CIDR…] with a lower-case zone name`);
    }
    const ranges = new BlockList();
    for (const cidr of cidrs.split('|').map((s) => s.trim())) {
      const [network, prefixText] = cidr.split('/');
      const family = isIP(network ?? '');
      const prefix = Number(prefixText);
      if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new WardError('VALIDATION_FAILED', `WARD_NETWORK_ZONES: "${cidr}" in zone ${zone} is not a CIDR range such as 10.0.0.0/8`);
      }
      ranges.addSubnet(network!, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    entries.push({ zone, ranges });
  }
  return {
    zoneOf(address) {
      if (!address) return fallback;
      // IPv4 clients of a dual-stack listener arrive as ::ffff:a.b.c.d.
      const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
      const family = isIP(plain);
      if (!family) return fallback;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      return entries.find((entry) => entry.ranges.check(plain, type))?.zone ?? fallback;
    },
  };
}

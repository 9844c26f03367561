import { BlockList, isIPv6 } from 'node:net';

import type { ClientSessionTransfer, DeviceBinding } from '../client-metadata.js';
import type { TransferRecord } from '../store/store.js';
import { asnOf, type AsnResolver } from './asn.js';
import { bothLocalhost, normalizeIp } from './ip.js';

/** The outcome of comparing the minting and the redeeming device, with both sides. */
export interface BindingOutcome {
  ok: boolean;
  rule: DeviceBinding;
  /** The minting request's IP or ASN. */
  expected?: string | number;
  /** The redeeming request's IP or ASN. */
  actual?: string | number;
  /** For `ip` between IPv6 addresses with prefix matching: the prefix length compared. */
  prefixLength?: number;
}

/** From weakest to strongest. */
const STRENGTH: readonly DeviceBinding[] = ['none', 'asn', 'ip'];

/** The stronger of two binding rules. */
export function strongerBinding(a: DeviceBinding, b: DeviceBinding): DeviceBinding {
  return STRENGTH.indexOf(a) >= STRENGTH.indexOf(b) ? a : b;
}

/**
 * Same address, or (IPv6 with a prefix length) the same leading bits. `127.0.0.1` and `::1` are
 * one device: `localhost` resolves to both, and a native app and a browser on the provider's own
 * machine may each pick a different one.
 */
function sameIp(expected: string, actual: string, prefixLength: number | null): boolean {
  if (!expected || !actual) return false;
  if (expected === actual) return true;
  if (bothLocalhost(expected, actual)) return true;
  if (prefixLength === null || !isIPv6(expected) || !isIPv6(actual)) return false;
  const network = new BlockList();
  network.addSubnet(expected, prefixLength, 'ipv6');
  return network.check(actual, 'ipv6');
}

/**
 * Compares the redeeming request with the minting one under the web client's rule. `asn` fails
 * closed: an address whose ASN is unknown (or no resolver at all) never matches.
 */
export async function compareDevice(
  settings: Pick<ClientSessionTransfer, 'enforce_device_binding' | 'ipv6_prefix_length'>,
  record: Pick<TransferRecord, 'ip' | 'asn'>,
  ip: string,
  resolver: AsnResolver | undefined,
): Promise<BindingOutcome> {
  const rule = settings.enforce_device_binding;
  switch (rule) {
    case 'none':
      return { ok: true, rule };
    case 'ip': {
      const [expected, actual] = [normalizeIp(record.ip), normalizeIp(ip)];
      const prefix = settings.ipv6_prefix_length;
      const ok = sameIp(expected, actual, prefix);
      return { ok, rule, expected, actual, ...(prefix !== null && isIPv6(expected) && isIPv6(actual) ? { prefixLength: prefix } : {}) };
    }
    case 'asn': {
      const actual = await asnOf(resolver, normalizeIp(ip));
      return { ok: record.asn !== undefined && record.asn === actual, rule, expected: record.asn, actual };
    }
  }
}

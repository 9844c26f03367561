import type { DeviceBinding } from '../client-metadata.js';
import type { TransferRecord } from '../store/store.js';
import type { AsnResolver } from './asn.js';
import { normalizeIp } from './client-ip.js';

/** The outcome of comparing the minting and the redeeming device, with both sides. */
export interface BindingOutcome {
  ok: boolean;
  rule: DeviceBinding;
  /** The minting request's IP or ASN. */
  expected?: string | number;
  /** The redeeming request's IP or ASN. */
  actual?: string | number;
}

async function lookupAsn(resolver: AsnResolver | undefined, ip: string): Promise<number | undefined> {
  if (!resolver) return undefined;
  try {
    return (await resolver.lookup(ip))?.asn;
  } catch {
    return undefined;
  }
}

/**
 * Compares the redeeming request with the minting one under the web client's rule. `asn` fails
 * closed: an address whose ASN is unknown (or no resolver at all) never matches.
 */
export async function compareDevice(
  rule: DeviceBinding,
  record: TransferRecord,
  ip: string,
  resolver: AsnResolver | undefined,
): Promise<BindingOutcome> {
  switch (rule) {
    case 'none':
      return { ok: true, rule };
    case 'ip':
      return { ok: normalizeIp(record.ip) === normalizeIp(ip), rule, expected: record.ip, actual: ip };
    case 'asn': {
      const actual = await lookupAsn(resolver, normalizeIp(ip));
      return { ok: record.asn !== undefined && record.asn === actual, rule, expected: record.asn, actual };
    }
  }
}

import { debug } from '../debug.js';

/**
 * What an ASN resolver knows of one address.
 * @category Device binding
 */
export interface AsnInfo {
  /** Autonomous system number, e.g. 7018. */
  asn: number;
  /** The network's organisation, when the database names it. */
  organization?: string;
}

/**
 * Looks up the autonomous system of an IP address; `null` when the address is unknown. Used to
 * record the minting device's ASN and, for `enforce_device_binding: "asn"`, to compare it.
 * @category Device binding
 */
export interface AsnResolver {
  lookup(ip: string): AsnInfo | null | Promise<AsnInfo | null>;
}

/**
 * The ASN of `ip`, or undefined when there is no resolver, the address is unknown, or the
 * resolver fails (synchronously or not): an unknown ASN never matches, so `asn` binding fails
 * closed, and a broken resolver never breaks a request.
 */
export async function asnOf(resolver: AsnResolver | undefined, ip: string): Promise<number | undefined> {
  if (!resolver || !ip) return undefined;
  try {
    return (await resolver.lookup(ip))?.asn;
  } catch (err) {
    debug('asn lookup failed: %O', err);
    return undefined;
  }
}

import { BlockList, isIP } from 'node:net';

import { normalizeIp } from './ip.js';

/**
 * Which proxies in front of the provider are trusted to report the client's address in
 * `X-Forwarded-For`: the nearest `hops` of them, those whose addresses lie in `ranges`, or (both
 * given) the nearest `hops` that also lie in `ranges`.
 * @category Device binding
 */
export interface TrustProxy {
  hops?: number;
  /** CIDR ranges (`10.0.0.0/8`, `fd00::/8`) or single addresses. */
  ranges?: string[];
}

/**
 * The resolved setting: a test for "the address at position i of the chain is a trusted proxy".
 * @category Device binding
 */
export interface ProxyTrust {
  hops: number | undefined;
  /** Ranges are given: an address alone tells whether it is a trusted proxy's. */
  byAddress: boolean;
  trusts(address: string, position: number): boolean;
}

function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/** Parses `ranges`; throws a TypeError naming the bad entry. */
export function rangeList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [address = '', prefix, extra] = range.split('/');
    const kind = family(address);
    const bits = prefix === undefined ? (kind === 'ipv4' ? 32 : 128) : Number(prefix);
    const max = kind === 'ipv4' ? 32 : 128;
    if (!kind || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > max || (prefix !== undefined && !/^\d+$/.test(prefix))) {
      throw new TypeError(`"${range}" is not an IP address or CIDR range`);
    }
    list.addSubnet(address, bits, kind);
  }
  return list;
}

export function proxyTrust({ hops, ranges }: TrustProxy): ProxyTrust {
  const list = ranges ? rangeList(ranges) : undefined;
  return {
    hops,
    byAddress: list !== undefined,
    trusts(address, position) {
      if (hops !== undefined && position >= hops) return false;
      if (!list) return true;
      const kind = family(address);
      return kind !== undefined && list.check(address, kind);
    },
  };
}

/**
 * The client's address: walking from the socket towards the client through `X-Forwarded-For`
 * (right to left), the first address that is not a trusted proxy. Entries left of it were
 * written by the client and are never believed. Not an IP address → '' (fails any binding).
 */
export function clientAddress(socketAddress: string, forwardedFor: string | undefined, trust: ProxyTrust | undefined): string {
  const chain = [socketAddress];
  if (trust && forwardedFor) {
    chain.push(...forwardedFor.split(',').map((entry) => entry.trim()).reverse());
  }
  let position = 0;
  while (position < chain.length - 1 && trust?.trusts(normalizeIp(chain[position]!), position)) position += 1;
  const address = normalizeIp(chain[position]!);
  return isIP(address) ? address : '';
}

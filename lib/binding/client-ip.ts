import type { KoaContextWithOIDC } from 'oidc-provider';

import { clientAddress, type ProxyTrust } from './trust-proxy.js';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) becomes its IPv4 address. */
export function normalizeIp(ip: string): string {
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}

/**
 * The client IP under the `trustProxy` setting, the one source for the mint and the redeem:
 * the socket's address, or the first untrusted address walking back through `X-Forwarded-For`.
 */
export function clientIp(ctx: KoaContextWithOIDC, trust: ProxyTrust | undefined): string {
  return clientAddress(ctx.req.socket.remoteAddress ?? '', ctx.get('x-forwarded-for') || undefined, trust);
}

import type { KoaContextWithOIDC } from 'oidc-provider';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) becomes its IPv4 address. */
export function normalizeIp(ip: string): string {
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}

/**
 * The client IP under the `trustProxy` setting: the socket's address when it is `false`, else
 * Koa's `ctx.ip`, which `attach()` limits to the trusted hops (`provider.maxIpsCount`), so a
 * client-supplied leftmost `X-Forwarded-For` entry never wins.
 */
export function clientIp(ctx: KoaContextWithOIDC, trustProxy: false | number): string {
  const ip = trustProxy === false ? ctx.req.socket.remoteAddress : ctx.ip;
  return normalizeIp(ip ?? '');
}

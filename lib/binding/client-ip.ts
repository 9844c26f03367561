import type { KoaContextWithOIDC } from 'oidc-provider';

import { clientAddress, type ProxyTrust } from './trust-proxy.js';

/**
 * The client IP under the `trustProxy` setting, the one source for the mint and the redeem:
 * the socket's address, or the first untrusted address walking back through `X-Forwarded-For`.
 */
export function clientIp(ctx: KoaContextWithOIDC, trust: ProxyTrust | undefined): string {
  return clientAddress(ctx.req.socket.remoteAddress ?? '', ctx.get('x-forwarded-for') || undefined, trust);
}

import type { Middleware } from 'koa';

import { normalizeIp } from './ip.js';
import type { ProxyTrust } from './trust-proxy.js';

/** Headers through which a proxy tells Koa (`provider.proxy`) the public host and protocol. */
const FORWARDED = ['x-forwarded-host', 'x-forwarded-proto', 'forwarded'];

/**
 * With `provider.proxy` on, Koa believes `X-Forwarded-Host` / `-Proto` from any peer, and the
 * provider builds its endpoint URLs (discovery, redirects) from them. This middleware drops them
 * unless the peer is a proxy `trustProxy` trusts — the rule the client IP follows — so a client
 * cannot name the host in discovery.
 */
export function forwardedHeadersGuard(trust: ProxyTrust): Middleware {
  return async function dropUntrustedForwardedHeaders(ctx, next) {
    if (!trust.trusts(normalizeIp(ctx.req.socket.remoteAddress ?? ''), 0)) {
      for (const header of FORWARDED) delete ctx.req.headers[header];
    }
    return next();
  };
}

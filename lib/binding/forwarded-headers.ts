import type { Middleware } from 'koa';

import { normalizeIp } from './ip.js';
import type { ProxyTrust } from './trust-proxy.js';

/** Headers through which a proxy tells Koa (`provider.proxy`) the public host and protocol. */
const FORWARDED = ['x-forwarded-host', 'x-forwarded-proto', 'forwarded'];

/**
 * With `provider.proxy` on, Koa believes `X-Forwarded-Host` / `-Proto` from any peer, and the
 * provider builds its endpoint URLs (discovery, redirects) from them. This middleware drops them
 * unless the peer is a proxy `trustProxy` trusts — the rule the client IP follows — so a client
 * cannot name the host in discovery. Under a hop count alone the peer's address proves nothing:
 * as for the client IP, a request without `X-Forwarded-For` came from the client itself, and one
 * connecting directly must not name the host either.
 */
export function forwardedHeadersGuard(trust: ProxyTrust): Middleware {
  return async function dropUntrustedForwardedHeaders(ctx, next) {
    const proxied = trust.byAddress || ctx.get('x-forwarded-for') !== '';
    if (!proxied || !trust.trusts(normalizeIp(ctx.req.socket.remoteAddress ?? ''), 0)) {
      for (const header of FORWARDED) delete ctx.req.headers[header];
    }
    return next();
  };
}

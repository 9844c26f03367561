import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Diagnostics } from '../events.js';
import { clientAddress, type ProxyTrust } from './trust-proxy.js';

/**
 * The client IP under the `trustProxy` setting, the one source for the mint and the redeem:
 * the socket's address, or the first untrusted address walking back through `X-Forwarded-For`.
 * Forwarding headers with no proxy trusted usually mean a proxy the setting does not name: every
 * device would then look like the proxy, so that is reported (once).
 */
export function clientIp(ctx: KoaContextWithOIDC, trust: ProxyTrust | undefined, diagnostics: Diagnostics): string {
  const forwardedFor = ctx.get('x-forwarded-for') || undefined;
  if (!trust && (forwardedFor || ctx.get('forwarded'))) {
    diagnostics.warnOnce('forwarded_header_ignored', 'a request carried X-Forwarded-For or Forwarded, but options.trustProxy is false, so it was ignored: '
      + 'device binding compares the socket address. If a reverse proxy sits in front of the provider, that is the proxy\'s address for every device: '
      + 'set trustProxy to the proxies you run (e.g. trustProxy: 1). If none does, a client sent the header and nothing needs changing.');
  }
  return clientAddress(ctx.req.socket.remoteAddress ?? '', forwardedFor, trust);
}

/** Longest user agent kept: it is stored with every token, whatever a client sends. */
export const MAX_USER_AGENT = 256;

/** The request's user agent, cut to `MAX_USER_AGENT` characters; undefined when absent. */
export function userAgentOf(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.get('user-agent').slice(0, MAX_USER_AGENT) || undefined;
}

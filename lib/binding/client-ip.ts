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
    diagnostics.warnOnce('forwarded_header_ignored', 'a request carried X-Forwarded-For or Forwarded, but options.trustProxy is false: '
      + 'device binding compares the socket address, which behind a reverse proxy is the proxy\'s for every device. '
      + 'Set trustProxy to the proxies you run (e.g. trustProxy: 1), or have the proxy stop sending the header.');
  }
  return clientAddress(ctx.req.socket.remoteAddress ?? '', forwardedFor, trust);
}

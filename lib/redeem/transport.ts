import type { KoaContextWithOIDC } from 'oidc-provider';

import type { AuthenticationMethod, ClientSessionTransfer } from '../client-metadata.js';
import { TOKEN_PARAM } from '../options.js';

export interface PresentedToken {
  token: string;
  transport: AuthenticationMethod;
}

/**
 * The token a request presents by a transport the web client allows: the query parameter first,
 * then the cookie (read unsigned: the native app sets it). A token by a transport the client
 * does not allow is ignored and left as it is. With pushed authorization requests the pushed
 * parameters replace the query, so the front-channel query is read as well.
 */
export function presentedToken(
  ctx: KoaContextWithOIDC,
  param: unknown,
  settings: ClientSessionTransfer,
  cookieName: string,
): PresentedToken | undefined {
  const allowed = settings.allowed_authentication_methods;
  if (allowed.includes('query')) {
    const fromQuery = typeof param === 'string' ? param : ctx.query[TOKEN_PARAM];
    if (typeof fromQuery === 'string' && fromQuery) return { token: fromQuery, transport: 'query' };
  }
  if (allowed.includes('cookie')) {
    const fromCookie = ctx.cookies.get(cookieName, { signed: false });
    if (fromCookie) return { token: fromCookie, transport: 'cookie' };
  }
  return undefined;
}

/** Expires the transfer cookie, so a used token is not presented again. */
export function clearTokenCookie(ctx: KoaContextWithOIDC, cookieName: string): void {
  ctx.cookies.set(cookieName, null, { signed: false, path: '/', httpOnly: true });
}

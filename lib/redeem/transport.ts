import type { KoaContextWithOIDC } from 'oidc-provider';

import type { AuthenticationMethod, ClientSessionTransfer } from '../client-metadata.js';
import type { IgnoredReason } from '../events.js';
import { TOKEN_PARAM } from '../options.js';
import { hashToken } from '../token.js';

/** A token as the store knows it (its hash), and how it arrived. */
export interface PresentedToken {
  hash: string;
  transport: AuthenticationMethod;
  /** It came inside a pushed request, which its `request_uri` reopens until the authorization ends. */
  pushed?: true;
}

/**
 * What a pushed authorization request keeps in place of a token: its hash, marked. A raw token is
 * base64url and never contains the marker's colon, and a marked value is read as a hash only
 * from a pushed request, where the library wrote it: knowing a hash never stands in for the token.
 */
const PUSHED = 'pushed:';

export function pushedValue(token: string): string {
  return `${PUSHED}${hashToken(token)}`;
}

/** A token that arrived but cannot be used (a transport the web client does not allow, a cookie under another name); it is left as it is. */
export interface UnusableToken {
  transport: AuthenticationMethod;
  reason: Extract<IgnoredReason, 'client_accepts_no_transfers' | 'transport_not_allowed' | 'cookie_name_mismatch'>;
  /** For `cookie_name_mismatch`: the name it came under. */
  cookie?: string;
}

/** Longest cookie name reported as a misnamed transfer cookie (the name is the browser's to send). */
const MAX_COOKIE_NAME = 64;

/**
 * A cookie that looks meant to carry the token but is not named `cookieName`: its name, squashed
 * (lower case, letters and digits), contains "sessiontransfer" or is `cookieName`'s squashed. Only
 * looked for when no token arrived, so an ordinary authorization request pays one header read.
 */
function misnamedCookie(ctx: KoaContextWithOIDC, cookieName: string): string | undefined {
  const header = ctx.get('cookie');
  if (!/transfer/i.test(header)) return undefined;
  const expected = squash(cookieName);
  for (const pair of header.split(';')) {
    const name = pair.slice(0, pair.indexOf('=')).trim();
    if (!name || name === cookieName || name.length > MAX_COOKIE_NAME) continue;
    const squashed = squash(name);
    if (squashed === expected || squashed.includes('sessiontransfer')) return name;
  }
  return undefined;
}

const squash = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The token a request presents by a transport the web client allows: the query parameter first
 * (or the one a pushed request carried), then the cookie (read unsigned: the native app sets it).
 * Otherwise the first token that arrived by another transport, with why it cannot be used. With
 * pushed authorization requests the pushed parameters replace the query, so the front-channel
 * query is read as well.
 */
export function presentedToken(
  ctx: KoaContextWithOIDC,
  param: unknown,
  settings: ClientSessionTransfer,
  cookieName: string,
): PresentedToken | UnusableToken | undefined {
  const offered: PresentedToken[] = [];
  const pushed = 'PushedAuthorizationRequest' in ctx.oidc.entities && typeof param === 'string' && param.startsWith(PUSHED);
  const fromQuery = typeof param === 'string' ? param : ctx.query[TOKEN_PARAM];
  if (pushed) offered.push({ hash: param.slice(PUSHED.length), transport: 'query', pushed: true });
  else if (typeof fromQuery === 'string' && fromQuery) offered.push({ hash: hashToken(fromQuery), transport: 'query' });
  const fromCookie = ctx.cookies.get(cookieName, { signed: false });
  if (fromCookie) offered.push({ hash: hashToken(fromCookie), transport: 'cookie' });

  const allowed = settings.allowed_authentication_methods;
  const usable = offered.find(({ transport }) => allowed.includes(transport));
  if (usable) return usable;
  if (offered[0]) return { transport: offered[0].transport, reason: allowed.length ? 'transport_not_allowed' : 'client_accepts_no_transfers' };
  const cookie = misnamedCookie(ctx, cookieName);
  return cookie ? { transport: 'cookie', reason: 'cookie_name_mismatch', cookie } : undefined;
}

/** Why a token was left unused, and the setting that would change it. */
export function ignoredMessage(
  clientId: string, reason: Exclude<IgnoredReason, 'audience_near_miss'>, transport: AuthenticationMethod,
  allowed: readonly AuthenticationMethod[], cookieName: string, cookie?: string,
): string {
  switch (reason) {
    case 'cookie_name_mismatch':
      return `a cookie named ${JSON.stringify(cookie)} arrived at the authorization endpoint for client "${clientId}", but the token is read from the cookie "${cookieName}" (options.cookieName): set the cookie under that name, or set cookieName to the name your apps use`;
    case 'client_accepts_no_transfers':
      return `client "${clientId}" accepts no session transfer tokens: set its session_transfer.allowed_authentication_methods to ["cookie"], ["query"] or both`;
    case 'transport_not_allowed':
      return `client "${clientId}" does not accept tokens by ${transport}: add "${transport}" to its session_transfer.allowed_authentication_methods (now ${JSON.stringify(allowed)})`;
    case 'login_requested':
      return 'the authorization request asks for a fresh login (prompt=login or max_age=0), which a transfer is not; the token was left unused';
  }
}

/**
 * Expires the transfer cookie, so a used token is not presented again: host-only, and for
 * `domain` too when the apps set it with one (each is a different cookie to the browser). Over
 * HTTPS the clearing is `Secure; SameSite=None`, as the SDK docs set the cookie, so a browser
 * accepts it in any context.
 */
export function clearTokenCookie(ctx: KoaContextWithOIDC, cookieName: string, domain: string | undefined): void {
  const secure = ctx.secure;
  const attributes = { signed: false, path: '/', httpOnly: true, secure, sameSite: secure ? 'none' : 'lax' } as const;
  ctx.cookies.set(cookieName, null, attributes);
  if (domain) ctx.cookies.set(cookieName, null, { ...attributes, domain });
}

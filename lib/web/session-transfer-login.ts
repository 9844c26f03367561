import type { IncomingMessage, ServerResponse } from 'node:http';

import { TOKEN_PARAM } from '../options.js';

/** What the middleware found on a login request: the token to forward, ready to spread. */
export interface SessionTransferLoginState {
  token: string;
  /** Spread into the authorization request's parameters (openid-client, express-openid-connect). */
  authorizationParams: { [TOKEN_PARAM]: string };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `sessionTransferLogin()` when the request carried a Session Transfer Token. */
      sessionTransfer?: SessionTransferLoginState;
    }
  }
}

export interface SessionTransferLoginOptions {
  /** Query parameter the native app puts the token in. Default `session_transfer_token`. */
  param?: string;
}

/** Tokens are base64url; anything else is not forwarded. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,512}$/;

/** The request the middleware reads (an Express request, or any with a parsed `query`). */
export type SessionTransferLoginRequest = IncomingMessage & { query?: Record<string, unknown>; sessionTransfer?: SessionTransferLoginState };

/**
 * Middleware for a web app's login route (the counterpart of Auth0's "Application Login URI"):
 * a `session_transfer_token` in the query is put on `req.sessionTransfer` for the route to
 * forward to the authorization endpoint, and the response may not leak it through `Referer`
 * or a cache. The route then redirects, so the token leaves the address bar and history.
 *
 * ```ts
 * app.get('/login', sessionTransferLogin(), (req, res) => {
 *   res.redirect(client.buildAuthorizationUrl(config, { ...params, ...req.sessionTransfer?.authorizationParams }).href);
 * });
 * ```
 */
export function sessionTransferLogin({ param = TOKEN_PARAM }: SessionTransferLoginOptions = {}) {
  return function forwardSessionTransferToken(req: SessionTransferLoginRequest, res: ServerResponse, next: () => void): void {
    res.setHeader('Referrer-Policy', 'no-referrer');
    const value = req.query?.[param];
    if (typeof value === 'string' && TOKEN_SHAPE.test(value)) {
      res.setHeader('Cache-Control', 'no-store');
      req.sessionTransfer = { token: value, authorizationParams: { [TOKEN_PARAM]: value } };
    }
    next();
  };
}

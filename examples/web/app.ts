import { randomBytes } from 'node:crypto';

import express from 'express';
import session from 'express-session';
import * as oidc from 'openid-client';

// Outside this repository: import { sessionTransferLogin } from 'oidc-session-transfer';
import { sessionTransferLogin } from '../../lib/index.js';
import { errorPage, homePage, profilePage } from './views.js';

export interface WebAppOptions {
  /** The identity provider's issuer. */
  issuer: string;
  /** Where this app is reached, e.g. `http://localhost:3001`. */
  baseUrl: string;
  clientId?: string;
  clientSecret?: string;
}

interface WebSession {
  login?: { verifier: string; state: string };
  user?: { claims: Record<string, unknown>; profile: Record<string, unknown>; idToken: string };
}

declare module 'express-session' {
  interface SessionData {
    web: WebSession;
  }
}

/**
 * The example relying party: a regular web app using openid-client. Its login route forwards a
 * Session Transfer Token it is given, so a user coming from the native app is signed in at once.
 */
export function createWebApp({ issuer, baseUrl, clientId = 'example-web', clientSecret = 'example-web-secret' }: WebAppOptions): express.Express {
  let discovered: Promise<oidc.Configuration> | undefined;
  // Discovered on first use, so the app can start before the provider.
  const configuration = () => {
    discovered ??= oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
      execute: new URL(issuer).protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
    }).catch((err: unknown) => {
      discovered = undefined;
      throw err;
    });
    return discovered;
  };
  const redirectUri = new URL('/callback', baseUrl).href;

  const app = express();
  app.use(session({
    name: 'web.sid', secret: randomBytes(32).toString('base64url'), resave: false, saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  }));

  app.get('/', (req, res) => {
    res.type('html').send(homePage(req.session.web?.user?.profile as { email?: string; name?: string }));
  });

  // The login route (Auth0's "Application Login URI"): the native app opens it with the token.
  app.get('/login', sessionTransferLogin(), async (req, res, next) => {
    try {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      req.session.web = { login: { verifier, state } };
      const url = oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...req.sessionTransfer?.authorizationParams,
      });
      res.redirect(url.href);
    } catch (err) {
      next(err);
    }
  });

  app.get('/callback', async (req, res, next) => {
    const login = req.session.web?.login;
    if (!login) {
      res.redirect('/');
      return;
    }
    try {
      const tokens = await oidc.authorizationCodeGrant(await configuration(), new URL(req.originalUrl, baseUrl), {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
      });
      const claims = tokens.claims()!;
      // The ID token carries only the openid claims; the profile (email, name) comes from userinfo.
      const profile = await oidc.fetchUserInfo(await configuration(), tokens.access_token, claims.sub);
      req.session.web = { user: { claims: { ...claims }, profile: { ...profile }, idToken: tokens.id_token! } };
      res.redirect('/profile');
    } catch (err) {
      if (err instanceof oidc.AuthorizationResponseError) {
        res.status(400).type('html').send(errorPage(err.error, err.error_description));
        return;
      }
      next(err);
    }
  });

  app.get('/profile', (req, res) => {
    const user = req.session.web?.user;
    if (!user) {
      res.redirect('/login');
      return;
    }
    res.type('html').send(profilePage(user.claims, user.profile));
  });

  app.get('/logout', async (req, res, next) => {
    try {
      const idToken = req.session.web?.user?.idToken;
      req.session.destroy(() => undefined);
      if (!idToken) {
        res.redirect('/');
        return;
      }
      res.redirect(oidc.buildEndSessionUrl(await configuration(), {
        id_token_hint: idToken, post_logout_redirect_uri: new URL('/', baseUrl).href,
      }).href);
    } catch (err) {
      next(err);
    }
  });

  return app;
}

import { createHash, randomBytes } from 'node:crypto';

import request from 'supertest';

import { AUTH0_ROUTES } from '../../lib/index.js';
import { nativeLogin } from './native-login.js';

/**
 * A Session Transfer Token from `npm start`'s provider at `url`, minted as example-native does:
 * sign in (Auth0's paths, JSON), then the refresh-token mint for `issuer`'s audience.
 */
export async function exampleNativeToken(url: string, issuer: string): Promise<string> {
  const tokens = await nativeLogin(url, { paths: AUTH0_ROUTES, json: true });
  const minted = await request(url).post(AUTH0_ROUTES.token).type('form').send({
    grant_type: 'refresh_token',
    client_id: 'example-native',
    refresh_token: tokens.refresh_token,
    audience: `urn:${new URL(issuer).host}:session_transfer`,
  });
  if (minted.status !== 200) throw new Error(`mint failed: ${minted.status} ${minted.text}`);
  return minted.body.access_token as string;
}

export interface BrowserApp {
  clientId: string;
  redirectUri: string;
}

export interface BrowserAppCode {
  /** The authorization code the redirect carried. */
  code: string;
  /** Where the provider sent the browser back. */
  redirect: URL;
  verifier: string;
}

/**
 * What a single-page app does with a transfer token in its URL: an authorization request carrying
 * it, with PKCE (S256), in a fresh browser (no provider session). Throws unless it ends on the
 * app's redirect URI with a code.
 */
export async function authorizeWithToken(url: string, token: string, { clientId, redirectUri }: BrowserApp): Promise<BrowserAppCode> {
  const verifier = randomBytes(32).toString('base64url');
  const authorization = await request(url).get(`${AUTH0_ROUTES.authorization}?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    session_transfer_token: token,
  })}`);
  const redirect = new URL(authorization.headers.location ?? '', url);
  const code = redirect.searchParams.get('code');
  if (authorization.status !== 303 || !code) throw new Error(`no code: ${authorization.status} ${redirect.href} ${authorization.text.slice(0, 300)}`);
  return { code, redirect, verifier };
}

/** The code exchange as the SPA's cross-origin fetch from `origin`: a public client, PKCE, no authentication. */
export function exchangeFrom(url: string, origin: string, app: BrowserApp, { code, verifier }: BrowserAppCode) {
  return request(url).post(AUTH0_ROUTES.token).set('origin', origin).type('form').send({
    grant_type: 'authorization_code', client_id: app.clientId, code, code_verifier: verifier, redirect_uri: app.redirectUri,
  });
}

/** The claims of an ID token (the tests' own provider signed it; not verified). */
export function idTokenClaims(idToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

/**
 * One pass through every outcome the dashboard (examples/grafana/session-transfer.json) shows,
 * against a running example provider (`npm start`): transfers by query and by cookie, a replay, a
 * token left unused, a device mismatch (refused, or only reported under
 * `DEVICE_BINDING_MODE=log_only npm start`), an unknown token, a refresh token revoked and one
 * reused (cascades, a refused mint). Used by examples/telemetry/traffic.ts and the dashboard's test.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

import { NativeApp, type MintForm } from '../native/app.js';

export interface Target {
  /** Where the provider listens, e.g. `http://127.0.0.1:3000` (IPv4: the device-mismatch step sends from 127.0.0.2). */
  url: string;
  /** The issuer's host, as in the session-transfer audience: `localhost:3000`. */
  issuerHost: string;
  /** The example web app's redirect URI: `http://localhost:3001/callback`. */
  webRedirect: string;
}

export interface Presentation {
  /** How the token travels: the link's query, or the cookie a WebView sets. */
  transport?: 'query' | 'cookie';
  /** `none` (default) answers with an error rather than a login page when the token is refused. */
  prompt?: 'none' | 'login';
  /** The address to send from: another loopback address is another device to the IP binding. */
  localAddress?: string;
}

/**
 * One authorization request of the example web app carrying `token`, from a browser without a
 * session: `code`, the OAuth error it ended in, or `interaction` (a login page).
 */
export function presentToken(target: Target, token: string, { transport = 'query', prompt = 'none', localAddress }: Presentation = {}): Promise<string> {
  const url = new URL('/authorize', target.url);
  url.search = new URLSearchParams({
    client_id: 'example-web', response_type: 'code', redirect_uri: target.webRedirect, scope: 'openid', prompt,
    ...(transport === 'query' ? { session_transfer_token: token } : {}),
  }).toString();
  // node:http rather than fetch: only it can choose the address to send from.
  return new Promise((resolve, reject) => {
    request(url, { localAddress, headers: transport === 'cookie' ? { cookie: `auth0_session_transfer_token=${token}` } : {} }, (response) => {
      response.resume();
      const location = new URL(response.headers.location ?? '', url);
      resolve(location.searchParams.has('code') ? 'code'
        : location.searchParams.get('error') ?? (location.pathname.startsWith('/interaction') ? 'interaction' : `status ${response.statusCode}`));
    }).on('error', reject).end();
  });
}

/** What each step ended in, by step. */
export type Outcomes = Record<string, string>;

/** Runs every step once, as a native app of its own (a new sign-in, a new DPoP key). */
export async function exerciseOutcomes(target: Target): Promise<Outcomes> {
  const app = new NativeApp({ issuer: target.url, audienceHost: target.issuerHost });
  let refreshToken = (await app.signIn('demo@example.com', 'demo')).refresh_token;
  // Each mint may rotate the refresh token; the app keeps the new one.
  const mint = async (form: MintForm = 'auth0') => {
    const minted = await app.mint(refreshToken, form);
    refreshToken = minted.refreshToken ?? refreshToken;
    return minted.token;
  };
  const outcomes: Outcomes = {};

  const token = await mint();
  outcomes.query = await presentToken(target, token);
  outcomes.replayed = await presentToken(target, token);
  outcomes.cookie = await presentToken(target, await mint('rfc8693'), { transport: 'cookie' });
  // A fresh login was asked for: the token is left unused ("ignored").
  outcomes.loginRequested = await presentToken(target, await mint(), { prompt: 'login' });
  outcomes.deviceMismatch = await presentToken(target, await mint(), { localAddress: '127.0.0.2' });
  outcomes.unknown = await presentToken(target, randomBytes(32).toString('base64url'));

  // The app signs out: revoking its refresh token ends the browser sessions its transfers made (a cascade).
  const revoked = await fetch(new URL('/oauth/revoke', target.url), {
    method: 'POST',
    body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: 'example-native' }),
  });
  outcomes.revoked = `status ${revoked.status}`;

  // An app without DPoP, whose refresh tokens rotate at each mint: using a rotated-away one again
  // is refused, and the provider revokes the grant, whose transfers cascade.
  const plain = new NativeApp({ issuer: target.url, audienceHost: target.issuerHost, dpop: false });
  const { refresh_token: first } = await plain.signIn('other@example.com', 'other');
  const { token: transfer, refreshToken: rotated } = await plain.mint(first);
  outcomes.plainQuery = await presentToken(target, transfer);
  outcomes.reused = rotated === undefined ? 'not rotated' : await plain.mint(first).then(() => 'minted', (err: Error) => err.message);
  return outcomes;
}

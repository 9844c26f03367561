import { createHash, randomBytes } from 'node:crypto';

import request from 'supertest';
import type { App } from 'supertest/types.js';

import type { DpopKey } from '../../examples/native/dpop.js';

export interface NativeTokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  scope?: string;
  /** For a confidential client: its secret (client_secret_basic); public clients send none. */
  clientSecret?: string;
  /** The browser the login happens in (its cookies keep the provider session); a new one by default. */
  agent?: ReturnType<typeof request.agent>;
}

export interface NativeLogin {
  clientId?: string;
  redirectUri?: string;
  login?: string;
  password?: string;
  scope?: string;
  /** For a confidential client: its secret (client_secret_basic); public clients send none. */
  clientSecret?: string;
  /** The browser the login happens in (its cookies keep the provider session); a new one by default. */
  agent?: ReturnType<typeof request.agent>;
  /** Sends a DPoP proof with the code exchange, so the refresh token is bound to this key. */
  dpop?: DpopKey;
  /** Endpoint paths; the standard ones by default. */
  paths?: { authorization: string; token: string };
  /** Sends the code exchange as JSON, as the Auth0 SDKs do. */
  json?: boolean;
  /** `prompt` of the authorization request (`consent` grants `offline_access`). */
  prompt?: string;
  /** A resource indicator (RFC 8707) for the authorization request and the code exchange. */
  resource?: string;
  /** `nonce` of the authorization request. */
  nonce?: string;
}

function location(res: request.Response): string {
  if (res.status !== 303 && res.status !== 302) {
    throw new Error(`expected a redirect, got ${res.status}: ${res.text.slice(0, 300)}`);
  }
  return res.headers.location!;
}

/** Path and query of a Location header, for the same agent. */
function local(url: string): string {
  const parsed = new URL(url, 'http://placeholder');
  return parsed.pathname + parsed.search;
}

/**
 * Signs in like a native app: authorization code + PKCE through the example's login and consent
 * forms, then the code exchange. Returns the native app's tokens.
 */
export async function nativeLogin(app: App, {
  clientId = 'example-native',
  redirectUri = 'com.example.native:/callback',
  login = 'demo@example.com',
  password = 'demo',
  scope = 'openid offline_access email',
  clientSecret,
  agent = request.agent(app),
  dpop,
  paths = { authorization: '/auth', token: '/token' },
  json = false,
  prompt,
  resource,
  nonce,
}: NativeLogin = {}): Promise<NativeTokens> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
    ...(resource ? { resource } : {}),
    ...(nonce ? { nonce } : {}),
  });

  let next = location(await agent.get(`${paths.authorization}?${auth}`));
  for (let step = 0; step < 6 && !next.startsWith(redirectUri); step += 1) {
    const path = local(next);
    const page = await agent.get(path);
    if (page.status === 200 && page.text.includes('name="password"')) {
      next = location(await agent.post(`${path}/login`).type('form').send({ login, password }));
    } else if (page.status === 200) {
      next = location(await agent.post(`${path}/confirm`).type('form').send({}));
    } else {
      next = location(page);
    }
  }
  const code = new URL(next).searchParams.get('code');
  if (!code) throw new Error(`no code in ${next}`);

  const exchange = agent.post(paths.token);
  if (clientSecret) exchange.auth(clientId, clientSecret);
  // The proof names the endpoint by the issuer's host; the request says it is addressed there.
  if (dpop) exchange.set('host', 'localhost:3000').set('dpop', dpop.proof('POST', `http://localhost:3000${paths.token}`));
  const body = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId, ...(resource ? { resource } : {}) };
  const token = await (json ? exchange.set('content-type', 'application/json').send(JSON.stringify(body)) : exchange.type('form').send(body));
  if (token.status !== 200) throw new Error(`code exchange failed: ${token.status} ${token.text}`);
  return token.body as NativeTokens;
}

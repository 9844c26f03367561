import request from 'supertest';
import type { App } from 'supertest/types.js';
import type Provider from 'oidc-provider';

import { AUDIENCE } from './idp.js';
import { nativeLogin, type NativeLogin, type NativeTokens } from './native-login.js';

export type Agent = ReturnType<typeof request.agent>;

export interface Authorize {
  clientId?: string;
  redirectUri?: string;
  /** Sent as the `session_transfer_token` query parameter. */
  token?: string;
  /** Sent as the `auth0_session_transfer_token` cookie. */
  cookie?: string;
  prompt?: string;
  maxAge?: number;
  scope?: string;
  extra?: Record<string, string>;
}

export type Outcome =
  | { kind: 'code'; code: string }
  | { kind: 'error'; error: string }
  | { kind: 'interaction'; prompt: string; reasons: string[]; uid: string };

export function redirectUriOf(clientId: string): string {
  return clientId === 'example-web' ? 'http://localhost:3001/callback' : `https://${clientId}.example/cb`;
}

/** One authorization request as a web app's login would send it, and where it ended. */
export async function authorize(agent: Agent, provider: Provider, {
  clientId = 'example-web',
  redirectUri = redirectUriOf(clientId),
  token,
  cookie,
  prompt,
  maxAge,
  scope = 'openid email',
  extra = {},
}: Authorize = {}): Promise<Outcome & { res: request.Response }> {
  const query = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope, ...extra });
  if (token !== undefined) query.set('session_transfer_token', token);
  if (prompt) query.set('prompt', prompt);
  if (maxAge !== undefined) query.set('max_age', String(maxAge));
  const req = agent.get(`/auth?${query}`);
  if (cookie !== undefined) req.set('cookie', `auth0_session_transfer_token=${cookie}`);
  const res = await req;
  if (res.status !== 303) throw new Error(`authorization answered ${res.status}: ${res.text.slice(0, 300)}`);
  const location = new URL(res.headers.location!, 'http://localhost:3000');
  const uid = /^\/interaction\/([^/]+)$/.exec(location.pathname)?.[1];
  if (uid) {
    const interaction = (await provider.Interaction.find(uid))!;
    return { kind: 'interaction', prompt: interaction.prompt.name, reasons: interaction.prompt.reasons, uid, res };
  }
  const error = location.searchParams.get('error');
  if (error) return { kind: 'error', error, res };
  return { kind: 'code', code: location.searchParams.get('code')!, res };
}

/** The web client's code exchange (client_secret_basic with `<client>-secret`). */
export function exchangeCode(app: App, code: string, clientId = 'example-web', redirectUri = redirectUriOf(clientId)) {
  return request(app).post('/token').auth(clientId, `${clientId}-secret`).type('form')
    .send({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
}

export function idTokenClaims(idToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString());
}

/** A native login and a mint in Auth0's form; returns the token and the native app's tokens. */
export async function mintToken(app: App, login: NativeLogin = {}, headers: Record<string, string> = {}): Promise<{ token: string; native: NativeTokens }> {
  const native = await nativeLogin(app, login);
  const res = await request(app).post('/token').set(headers).type('form').send({
    grant_type: 'refresh_token', client_id: login.clientId ?? 'example-native', refresh_token: native.refresh_token, audience: AUDIENCE,
  });
  if (res.status !== 200) throw new Error(`mint failed: ${res.status} ${res.text}`);
  return { token: res.body.access_token, native: { ...native, refresh_token: res.body.refresh_token ?? native.refresh_token } };
}

/** Signs a browser (the agent) in through the login form, as a user would. */
export async function browserLogin(agent: Agent, provider: Provider, login: string, password: string, clientId = 'example-web'): Promise<string> {
  const start = await authorize(agent, provider, { clientId });
  if (start.kind !== 'interaction') throw new Error(`expected a login prompt, got ${start.kind}`);
  let next = (await agent.post(`/interaction/${start.uid}/login`).type('form').send({ login, password })).headers.location!;
  for (let step = 0; step < 4; step += 1) {
    const res = await agent.get(new URL(next, 'http://localhost:3000').pathname);
    next = res.headers.location!;
    if (next.startsWith(redirectUriOf(clientId))) return new URL(next).searchParams.get('code')!;
    const uid = /\/interaction\/([^/?]+)/.exec(next)?.[1];
    if (uid) next = (await agent.post(`/interaction/${uid}/confirm`).type('form').send({})).headers.location!;
  }
  throw new Error('browser login did not finish');
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import request from 'supertest';

import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';
import { AUTH0_ROUTES } from '../../lib/index.js';
import { authorizeWithToken, exampleNativeToken, exchangeFrom, idTokenClaims } from '../helpers/example-transfer.js';
import { nativeLogin } from '../helpers/native-login.js';

let idp: IdpProcess;
let url: string;
/** The web app's address as the provider knows it (its redirect URIs). */
let webUrl: string;
const output = () => idp.output();
/** The issuer `npm start` serves by default. */
const issuer = () => `http://localhost:${new URL(url).port}/`;

beforeAll(async () => {
  // What `npm start` runs, without REDIS_URL: the in-process stores.
  idp = await startIdpProcess({ ACCESS_LOG: '1', REDIS_URL: '' });
  url = idp.url;
  webUrl = `http://localhost:${new URL(idp.webUrl).port}`;
}, 30_000);

afterAll(async () => {
  await idp.stop();
});

it('serves the web app beside the provider', async () => {
  const home = await request(idp.webUrl).get('/');
  expect(home.status).toBe(200);
  expect(home.text).toContain('href="/login"');
});

it('serves discovery without Redis with Auth0\'s paths, warning that the store is in memory', async () => {
  const res = await request(url).get('/.well-known/openid-configuration');
  expect(res.status).toBe(200);
  expect(res.body.issuer).toBe(issuer());
  expect(res.body.token_endpoint).toBe(`http://127.0.0.1:${new URL(url).port}/oauth/token`);
  expect(res.body.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:token-exchange');
  expect(output()).toContain('MemoryStore keeps tokens in this process only');
});

it('signs the native client in and mints a session transfer token end to end', async () => {
  const tokens = await nativeLogin(url, { paths: AUTH0_ROUTES, json: true });
  const port = new URL(url).port;
  const res = await request(url).post('/oauth/token').set('content-type', 'application/json').send(JSON.stringify({
    grant_type: 'refresh_token',
    client_id: 'example-native',
    refresh_token: tokens.refresh_token,
    audience: `urn:localhost:${port}:session_transfer`,
  }));
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    issued_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token',
    token_type: 'N_A',
    expires_in: 60,
  });
  expect(output()).toContain('session transfer token issued');
  expect(output()).not.toContain(res.body.access_token);
});

it('signs demo@example.com into example-web from a token minted for example-native, with no login form', async () => {
  const token = await exampleNativeToken(url, issuer());

  const authorization = await request(url).get(`/authorize?${new URLSearchParams({
    client_id: 'example-web',
    response_type: 'code',
    redirect_uri: `${webUrl}/callback`,
    scope: 'openid email',
    session_transfer_token: token,
  })}`);
  expect(authorization.status).toBe(303);
  const callback = new URL(authorization.headers.location!);
  expect(callback.origin + callback.pathname).toBe(`${webUrl}/callback`);
  const code = callback.searchParams.get('code')!;

  const web = await request(url).post('/oauth/token').auth('example-web', 'example-web-secret').type('form')
    .send({ grant_type: 'authorization_code', code, redirect_uri: `${webUrl}/callback` });
  expect(web.status).toBe(200);
  expect(idTokenClaims(web.body.id_token)).toMatchObject({ sub: 'demo', aud: 'example-web', amr: ['pwd', 'session_transfer'] });

  // The access log shows the request, never the token.
  expect(output()).toContain('session_transfer_token=[redacted]');
  expect(output()).not.toContain(token);
});

it('believes no X-Forwarded-Proto or -Host without TRUST_PROXY: discovery keeps the address it was reached at', async () => {
  const res = await request(url).get('/.well-known/openid-configuration')
    .set('x-forwarded-proto', 'https').set('x-forwarded-host', 'attacker.example');
  expect(res.body.token_endpoint).toBe(`http://127.0.0.1:${new URL(url).port}/oauth/token`);
});

describe('example-spa, the public single-page app client (SPA_URL default http://localhost:3002/)', () => {
  const spa = { clientId: 'example-spa', redirectUri: 'http://localhost:3002/' };

  it('signs demo@example.com in from a token minted for example-native; the code exchange with PKCE gets CORS for the SPA origin only', async () => {
    const token = await exampleNativeToken(url, issuer());
    const authorized = await authorizeWithToken(url, token, spa);
    expect(authorized.redirect.origin + authorized.redirect.pathname).toBe('http://localhost:3002/');

    // Refused for another origin before the code is spent: the browser would not let that page read it.
    const elsewhere = await exchangeFrom(url, 'http://localhost:3001', spa, authorized);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();

    const exchange = await exchangeFrom(url, 'http://localhost:3002', spa, authorized);
    expect(exchange.status).toBe(200);
    expect(exchange.headers['access-control-allow-origin']).toBe('http://localhost:3002');
    expect(idTokenClaims(exchange.body.id_token)).toMatchObject({ sub: 'demo', aud: 'example-spa', amr: ['pwd', 'session_transfer'] });
    // The example decides CORS itself: oidc-provider's default would print that it wants replacing.
    expect(output()).not.toContain('clientBasedCORS');
  });

  it('takes window.location.origin (no trailing "/") as its redirect URI too', async () => {
    const token = await exampleNativeToken(url, issuer());
    const authorized = await authorizeWithToken(url, token, { ...spa, redirectUri: 'http://localhost:3002' });
    expect(authorized.redirect.href).toMatch(/^http:\/\/localhost:3002\/?\?code=/);
  });

  it('requires PKCE: an authorization request without code_challenge is refused', async () => {
    const res = await request(url).get(`/authorize?${new URLSearchParams({
      client_id: 'example-spa', response_type: 'code', redirect_uri: spa.redirectUri, scope: 'openid',
    })}`);
    const redirect = new URL(res.headers.location!);
    expect(redirect.searchParams.get('error')).toBe('invalid_request');
    expect(redirect.searchParams.get('error_description')).toMatch(/requires PKCE/);
  });
});

it('runs the headless demo (`npm run demo`) to a signed-in profile', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const demo = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  demo.stdout!.on('data', (chunk) => { printed += chunk; });
  const [code] = await once(demo, 'close');
  expect(printed).toContain('user: demo@example.com; session came from a transfer: yes');
  expect(printed).toContain('with the login form');
  expect(code).toBe(0);
}, 30_000);

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import { NativeApp } from '../../examples/native/app.js';
import { DpopKey } from '../../examples/native/dpop.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';
import { inBatches, ISSUER_HOST, mintMany, redeemAt, WEB_REDIRECT } from '../helpers/http-flow.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
let a: IdpProcess;
let b: IdpProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  // One issuer served by two processes: same Redis, issuer, signing keys and cookie keys.
  const env = {
    REDIS_URL: redis.url,
    ISSUER: 'http://localhost:3000',
    WEB_URL: 'http://localhost:3001',
    JWKS: JSON.stringify([generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })]),
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
  };
  [a, b] = await Promise.all([startIdpProcess(env), startIdpProcess(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

/** One native app (one DPoP key) talking to either process, as the Auth0 SDKs talk to `npm start`. */
function nativeApps(): [NativeApp, NativeApp] {
  const dpop = new DpopKey();
  return [a.url, b.url].map((issuer) => new NativeApp({ issuer, dpop, audienceHost: ISSUER_HOST })) as [NativeApp, NativeApp];
}

it('runs the flow with requests alternating between the two processes', async () => {
  const [, atB] = nativeApps();
  const [token] = await mintMany([atB], 1);
  const query = new URLSearchParams({
    client_id: 'example-web', response_type: 'code', redirect_uri: WEB_REDIRECT, scope: 'openid', session_transfer_token: token!,
  });
  const redeemed = await fetch(`${a.url}/authorize?${query}`, { redirect: 'manual' });
  const code = new URL(redeemed.headers.get('location')!).searchParams.get('code')!;
  const cookies = redeemed.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

  const exchanged = await fetch(`${b.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('example-web:example-web-secret').toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_REDIRECT }),
  });
  expect(exchanged.status).toBe(200);

  // The browser's session, made on one process, is known to the other.
  const silent = await fetch(`${b.url}/authorize?${new URLSearchParams({
    client_id: 'example-web', response_type: 'code', redirect_uri: WEB_REDIRECT, scope: 'openid', prompt: 'none',
  })}`, { redirect: 'manual', headers: { cookie: cookies } });
  expect(new URL(silent.headers.get('location')!).searchParams.get('code')).toEqual(expect.any(String));
}, 30_000);

it('redeems each of 500 tokens exactly once, though each is presented to both processes three times at once', async () => {
  const tokens = await mintMany(nativeApps(), 500);
  const outcomes = await inBatches(tokens.map((token) => async () => {
    const attempts = await Promise.all([a.url, b.url, a.url, b.url, a.url, b.url].map((base) => redeemAt(base, token, undefined, undefined, '/authorize')));
    return attempts.filter((outcome) => outcome === 'code').length;
  }), 25);
  expect(outcomes.filter((codes) => codes === 1)).toHaveLength(500);
  expect(outcomes.reduce((sum, codes) => sum + codes, 0)).toBe(500);
}, 120_000);

import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import request from 'supertest';

import { DpopKey } from '../../examples/native/dpop.js';
import type { IssueFailedEvent } from '../../lib/index.js';
import { AUDIENCE, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const TOKEN_URL = 'http://localhost:3000/token';

function setup(configuration = {}) {
  const idp = testIdentityProvider({ redis, keyPrefix: `dpop-${randomBytes(4).toString('hex')}:` }, configuration);
  const failed: IssueFailedEvent[] = [];
  idp.transfer.on('issue_failed', (event) => failed.push(event));
  /** The Auth0 SDKs' mint, JSON, with a DPoP proof when given one. */
  const mint = (refreshToken: string, proof?: string) => {
    const req = request(idp.app).post('/token').set('host', 'localhost:3000').set('content-type', 'application/json');
    if (proof) req.set('dpop', proof);
    return req.send(JSON.stringify({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken, audience: AUDIENCE }));
  };
  /** oidc-provider's own refresh grant. */
  const refresh = (refreshToken: string, proof?: string) => {
    const req = request(idp.app).post('/token').set('host', 'localhost:3000').type('form');
    if (proof) req.set('dpop', proof);
    return req.send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken });
  };
  return { idp, failed, mint, refresh };
}

describe('a DPoP-bound refresh token at the mint', () => {
  it('mints with a valid proof for its key, and the rotated refresh token stays bound to that key', async () => {
    // oidc-provider's default policy does not rotate sender-constrained tokens; this provider does.
    const { idp, mint, refresh } = setup({ rotateRefreshToken: true });
    const key = new DpopKey();
    const native = await nativeLogin(idp.app, { dpop: key });
    const res = await mint(native.refresh_token, key.proof('POST', TOKEN_URL));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token', refresh_token: expect.any(String) });

    const rotated: string = res.body.refresh_token;
    expect((await refresh(rotated, new DpopKey().proof('POST', TOKEN_URL))).body).toMatchObject({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    const renewed = await refresh(rotated, key.proof('POST', TOKEN_URL));
    expect(renewed.status).toBe(200);
    expect(renewed.body.token_type).toBe('DPoP');
  });

  it('refuses without a proof, or with another key\'s, and rotates nothing', async () => {
    const { idp, failed, mint } = setup();
    const key = new DpopKey();
    const native = await nativeLogin(idp.app, { dpop: key });

    const bare = await mint(native.refresh_token);
    expect(bare.status).toBe(400);
    expect(bare.body.error).toBe('invalid_grant');
    expect(failed.at(-1)).toMatchObject({ reason: 'sender_constrained', error: 'invalid_grant' });

    const other = await mint(native.refresh_token, new DpopKey().proof('POST', TOKEN_URL));
    expect(other.body.error).toBe('invalid_grant');
    expect(failed.at(-1)).toMatchObject({ reason: 'sender_constrained' });

    // Neither attempt consumed the refresh token.
    expect((await mint(native.refresh_token, key.proof('POST', TOKEN_URL))).status).toBe(200);
  });

  it.each([
    ['for another method', (key: DpopKey) => key.proof('GET', TOKEN_URL), 'DPoP proof htm mismatch'],
    ['for another URL', (key: DpopKey) => key.proof('POST', 'http://localhost:3000/oauth/token'), 'DPoP proof htu mismatch'],
    ['with an old iat', (key: DpopKey) => key.proof('POST', TOKEN_URL, { iat: Math.floor(Date.now() / 1000) - 600 }), 'DPoP proof iat is not recent enough'],
    ['that is not a JWT', () => 'not-a-proof', 'invalid DPoP key binding'],
  ])('answers invalid_dpop_proof for a proof %s, and rotates nothing', async (_name, make, description) => {
    const { idp, failed, mint } = setup();
    const key = new DpopKey();
    const native = await nativeLogin(idp.app, { dpop: key });
    const res = await mint(native.refresh_token, make(key));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_dpop_proof', error_description: description });
    expect(failed.at(-1)).toMatchObject({ reason: 'dpop_proof_invalid', error: 'invalid_dpop_proof' });
    expect((await mint(native.refresh_token, key.proof('POST', TOKEN_URL))).status).toBe(200);
  });

  it('refuses a proof used twice (jti replay)', async () => {
    const { idp, mint } = setup({ rotateRefreshToken: false });
    const key = new DpopKey();
    const native = await nativeLogin(idp.app, { dpop: key });
    const proof = key.proof('POST', TOKEN_URL);
    expect((await mint(native.refresh_token, proof)).status).toBe(200);
    expect((await mint(native.refresh_token, proof)).body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('with server nonces: answers use_dpop_nonce with a DPoP-Nonce header, then mints with the nonce', async () => {
    const { idp, failed, mint, refresh } = setup({ features: { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } } });
    const key = new DpopKey();
    const native = await nativeLogin(idp.app);
    // oidc-provider's own refresh grant demands a nonce too, and sends one.
    const own = await refresh(native.refresh_token, key.proof('POST', TOKEN_URL));
    expect(own.body.error).toBe('use_dpop_nonce');
    const nonce = own.headers['dpop-nonce'] as string;

    const challenged = await mint(native.refresh_token, key.proof('POST', TOKEN_URL));
    expect(challenged.status).toBe(400);
    expect(challenged.body.error).toBe('use_dpop_nonce');
    expect(challenged.headers['dpop-nonce']).toEqual(expect.any(String));
    expect(failed.at(-1)).toMatchObject({ reason: 'dpop_nonce_required', error: 'use_dpop_nonce' });

    // The nonce oidc-provider issued at its own grant is accepted at the mint.
    const res = await mint(native.refresh_token, key.proof('POST', TOKEN_URL, { nonce }));
    expect(res.status).toBe(200);
  });
});

/**
 * The ID token of a refresh carries no `nonce` (OpenID Connect Core 1.0 §12.2): the library issues
 * it again without the one oidc-provider copies from the sign-in. Apart from that it must be the
 * ID token oidc-provider issues: the same claims, for a refresh of a sign-in that had no nonce.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { idTokenClaims } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(() => quitRedis(redis));

const API = 'https://api.example/';
const idp = testIdentityProvider({ redis, keyPrefix: 'refreshed-id-token:' }, {
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined as unknown as string,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => ({ scope: 'read', audience: indicator, accessTokenFormat: 'opaque' }),
    },
  },
});

/** The claims of the ID token a refresh returns, for a sign-in with `nonce` or none; `iat` and `exp` left out. */
async function refreshedClaims(login: { resource?: string; nonce?: string }): Promise<Record<string, unknown>> {
  const scope = login.resource ? 'openid offline_access email read' : 'openid offline_access email';
  const native = await nativeLogin(idp.app, { scope, ...login });
  const res = await request(idp.app).post('/token').type('form')
    .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
  expect(res.status).toBe(200);
  return Object.fromEntries(Object.entries(idTokenClaims(res.body.id_token as string)).filter(([claim]) => claim !== 'iat' && claim !== 'exp'));
}

describe('the ID token of a refresh', () => {
  it('has no nonce, and otherwise the claims oidc-provider gives it', async () => {
    const withNonce = await refreshedClaims({ nonce: 'n-0S6_WzA2Mj' });
    expect(withNonce).not.toHaveProperty('nonce');
    expect(withNonce).toEqual(await refreshedClaims({}));
  });

  it('keeps the scope\'s claims when the access token is for an API (userinfo cannot give them), as oidc-provider does', async () => {
    const withNonce = await refreshedClaims({ resource: API, nonce: 'n-0S6_WzA2Mj' });
    expect(withNonce).toMatchObject({ email: 'demo@example.com' });
    expect(withNonce).not.toHaveProperty('nonce');
    expect(withNonce).toEqual(await refreshedClaims({ resource: API }));
  });
});

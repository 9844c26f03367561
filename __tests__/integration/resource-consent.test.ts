/**
 * Threat: a first-party web client signed in from a transfer gets scopes recorded as consented
 * without a consent screen. With resource indicators (RFC 8707) a scope is consented per API: the
 * user's "read" for API A is not a "read" for API B. Only the (resource, scope) pairs the native
 * grant holds may be consented silently.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { authorize, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(() => quitRedis(redis));

const API_A = 'https://a.example/';
const API_B = 'https://b.example/';

describe('first-party auto-consent after a transfer, with resource indicators', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'resource-consent:' }, {
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => ({ scope: 'read write', audience: indicator, accessTokenFormat: 'opaque' }),
      },
    },
  });
  const login = { scope: 'openid offline_access email read', resource: API_A };
  const web = (token: string, resource: string) => authorize(request.agent(idp.app), idp.provider, {
    clientId: 'query-web', token, scope: 'openid read', extra: { resource },
  });

  it('consents silently the (resource, scope) pairs the native grant holds', async () => {
    const { token } = await mintToken(idp.app, login);
    expect((await web(token, API_A)).kind).toBe('code');
  });

  it("threat: a scope consented for one API is granted silently for another: the consent screen is shown", async () => {
    const { token } = await mintToken(idp.app, login);
    expect(await web(token, API_B)).toMatchObject({ kind: 'interaction', prompt: 'consent' });
  });
});

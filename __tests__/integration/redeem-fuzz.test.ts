import { afterAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';

import { redisClient, testIdentityProvider } from '../helpers/idp.js';
import { redirectUriOf } from '../helpers/web-login.js';

const redis = redisClient();
const { app } = testIdentityProvider({ redis, keyPrefix: 'redeem-fuzz:' });
afterAll(async () => {
  await redis.quit();
});

it('answers random tokens by query and cookie with a redirect, never a 5xx', async () => {
  const server = app.listen(0, '127.0.0.1');
  try {
    await fc.assert(fc.asyncProperty(
      fc.option(fc.string({ maxLength: 600 }), { nil: undefined }),
      fc.option(fc.stringMatching(/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,300}$/), { nil: undefined }),
      fc.constantFrom('example-web', 'query-web', 'cookie-web', 'closed-web'),
      fc.constantFrom(undefined, 'none', 'login', 'consent'),
      async (token, cookie, clientId, prompt) => {
        const redirectUri = clientId === 'closed-web' ? 'http://localhost:3002/callback' : redirectUriOf(clientId);
        const query = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid' });
        if (token !== undefined) query.set('session_transfer_token', token);
        if (prompt) query.set('prompt', prompt);
        const req = request(server).get(`/auth?${query}`);
        if (cookie !== undefined) req.set('cookie', `auth0_session_transfer_token=${cookie}`);
        const res = await req.timeout(2000);
        expect(res.status).toBeLessThan(500);
      },
    ), { numRuns: 400 });
  } finally {
    server.close();
  }
}, 60_000);

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';

import { AUDIENCE, EXCHANGE, redisClient, RT_TYPE, STT_TYPE, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';

const redis = redisClient();
const { app } = testIdentityProvider({ redis, keyPrefix: 'fuzz:' });
let server: Server;
let refreshToken: string;

beforeAll(async () => {
  server = app.listen(0, '127.0.0.1');
  refreshToken = (await nativeLogin(app)).refresh_token;
});

afterAll(async () => {
  server.close();
  await redis.quit();
});

/** Values close to valid ones, so the fuzzing reaches deep into the mint, plus noise. */
const value = (): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom('refresh_token', EXCHANGE, AUDIENCE, RT_TYPE, STT_TYPE, 'example-native', 'example-web', 'closed-web', 'openid', ''),
  fc.constant(undefined).map(() => refreshToken),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

const key = fc.oneof(
  fc.constantFrom(
    'grant_type', 'refresh_token', 'client_id', 'audience', 'resource', 'scope', 'subject_token', 'subject_token_type',
    'requested_token_type', 'actor_token', 'client_secret', '__proto__', 'constructor',
  ),
  fc.string({ maxLength: 12 }),
);

const noise = fc.dictionary(key, value(), { maxKeys: 8 });

/** A valid request of either form, with a few parameters overridden or added at random. */
const mutated = fc.tuple(
  fc.constantFrom<Record<string, unknown>>(
    { grant_type: 'refresh_token', client_id: 'example-native', audience: AUDIENCE },
    { grant_type: EXCHANGE, client_id: 'example-native', subject_token_type: RT_TYPE, requested_token_type: STT_TYPE },
  ),
  fc.dictionary(key, value(), { maxKeys: 2 }),
).map(([base, overrides]) => ({
  ...base,
  [base.grant_type === EXCHANGE ? 'subject_token' : 'refresh_token']: refreshToken,
  ...overrides,
}));

const params = fc.oneof(noise, mutated);

/** A body as bytes with the content type it claims to be. */
const body = fc.oneof(
  params.map((p) => ({ type: 'application/json', data: JSON.stringify(p) })),
  params.map((p) => {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) {
      for (const item of Array.isArray(v) ? v : [v]) form.append(k, typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item));
    }
    return { type: 'application/x-www-form-urlencoded', data: form.toString() };
  }),
  fc.record({
    type: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1'),
    data: fc.string({ unit: 'binary', maxLength: 200 }),
  }),
);

it('answers thousands of random and malformed token requests without a 5xx or a hang', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(body, async ({ type, data }) => {
      const res = await request(server).post('/token').set('content-type', type).send(data).timeout(2000);
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) expect(typeof res.body.error).toBe('string');
      seen.add(res.status === 200 ? String(res.body.issued_token_type ?? res.body.token_type) : res.body.error);
      // Keep a fresh refresh token around: a mint or a refresh rotates it, reuse revokes it.
      if (res.body.refresh_token) refreshToken = res.body.refresh_token;
      else if (res.body.error === 'invalid_grant') refreshToken = (await nativeLogin(app)).refresh_token;
    }),
    { numRuns: 2000 },
  );
  // The inputs reached the mint itself, not only the body parser.
  expect([...seen]).toEqual(expect.arrayContaining([STT_TYPE, 'invalid_request', 'invalid_grant', 'invalid_target']));
}, 120_000);

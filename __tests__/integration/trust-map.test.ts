import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { createIdentityProvider } from '../../examples/idp/app.js';
import type { RejectedEvent } from '../../lib/index.js';
import {
  AUDIENCE, EXCHANGE, ISSUER, quitRedis, redisClient, RT_TYPE, settledBeforeQuit, STT_TYPE, testClients, webTestClient,
} from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { authorize, mintToken } from '../helpers/web-login.js';

/**
 * The trust map (session_transfer.transfer_to on the minting client, accept_from on the web
 * client): at the mint when the request names web clients, at the redeem always, by query and by
 * cookie alike.
 */
const LISTING = { clientId: 'listing-native', redirectUri: 'com.example.listing:/callback' };
const redis = redisClient();
const { app, provider, transfer } = settledBeforeQuit(createIdentityProvider({
  issuer: ISSUER,
  transfer: { redis, keyPrefix: 'trust-map:' },
  clients: [
    ...testClients,
    {
      // Hands sessions to query-web and cookie-web only.
      client_id: LISTING.clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [LISTING.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      session_transfer: { can_create_session_transfer_token: true, transfer_to: ['query-web', 'cookie-web'] },
    },
    // Takes sessions from listing-native only (which does not list it) and from no other app.
    webTestClient('trusting-web', { allowed_authentication_methods: ['query', 'cookie'], accept_from: ['listing-native'] }),
    // Takes sessions from example-native only.
    webTestClient('loyal-web', { allowed_authentication_methods: ['query', 'cookie'], accept_from: ['example-native'] }),
  ],
}));
const rejected: RejectedEvent[] = [];
transfer.on('rejected', (e) => rejected.push(e));

beforeEach(() => {
  rejected.length = 0;
});
afterAll(() => quitRedis(redis));

/** Where a token from `minting` presented at `clientId` by query or by cookie ends: `code` or the login prompt's name. */
async function present(token: string, clientId: string, transport: 'query' | 'cookie'): Promise<string> {
  const outcome = await authorize(request.agent(app), provider, { clientId, ...(transport === 'query' ? { token } : { cookie: token }) });
  return outcome.kind === 'code' ? 'code' : outcome.kind === 'interaction' ? outcome.prompt : outcome.error;
}

const mintFrom = (login: typeof LISTING | Record<string, never>) => mintToken(app, login);

describe('at the redeem', () => {
  it('by query and by cookie: a token signs in only where both lists allow it, and is spent where they do not', async () => {
    for (const transport of ['query', 'cookie'] as const) {
      const web = transport === 'query' ? 'query-web' : 'cookie-web';
      // Listed by listing-native, and web lists nobody: signs in.
      expect(await present((await mintFrom(LISTING)).token, web, transport)).toBe('code');

      // Not in listing-native's transfer_to (loyal-web), or listing-native not in its accept_from
      // (trusting-web lists it, but listing-native does not list trusting-web): refused.
      for (const target of ['loyal-web', 'trusting-web']) {
        const { token } = await mintFrom(LISTING);
        expect(await present(token, target, transport)).toBe('login');
        expect(rejected.at(-1)).toMatchObject({ reason: 'not_trusted', clientId: target, issuingClientId: 'listing-native' });
        // Spent: not tried again at a client that would take it.
        expect(await present(token, web, transport)).toBe('login');
        expect(rejected.at(-1)).toMatchObject({ reason: 'replayed' });
      }

      // example-native lists nobody: loyal-web takes its tokens, trusting-web does not.
      expect(await present((await mintFrom({})).token, 'loyal-web', transport)).toBe('code');
      expect(await present((await mintFrom({})).token, 'trusting-web', transport)).toBe('login');
      expect(rejected.at(-1)).toMatchObject({ reason: 'not_trusted', clientId: 'trusting-web', issuingClientId: 'example-native' });
    }
  });
});

describe('at the mint', () => {
  /** A token-exchange mint naming `audience`, with the refresh token of a fresh login at `login`'s client. */
  async function mintFor(login: typeof LISTING | Record<string, never>, audience: string) {
    const native = await nativeLogin(app, login);
    return request(app).post('/token').type('form').send({
      grant_type: EXCHANGE, client_id: login.clientId ?? 'example-native', subject_token: native.refresh_token,
      subject_token_type: RT_TYPE, requested_token_type: STT_TYPE, audience,
    });
  }

  it('refuses a named web client outside the map with invalid_target, naming the list to change', async () => {
    const unlisted = await mintFor(LISTING, 'loyal-web');
    expect(unlisted.status).toBe(400);
    expect(unlisted.body).toEqual({ error: 'invalid_target', error_description: "loyal-web is not in listing-native's session_transfer.transfer_to" });

    const unaccepted = await mintFor({}, 'trusting-web');
    expect(unaccepted.status).toBe(400);
    expect(unaccepted.body).toEqual({
      error: 'invalid_target', error_description: 'trusting-web does not accept sessions from example-native (its session_transfer.accept_from)',
    });

    const listed = await mintFor(LISTING, 'query-web');
    expect(listed.status).toBe(200);
    expect(await present(listed.body.access_token, 'query-web', 'query')).toBe('code');
  });

  it('leaves the refresh_token form (no web client named) to the redeem', async () => {
    const native = await nativeLogin(app, LISTING);
    const minted = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: LISTING.clientId, refresh_token: native.refresh_token, audience: AUDIENCE,
    });
    expect(minted.status).toBe(200);
    expect(await present(minted.body.access_token, 'loyal-web', 'query')).toBe('login');
    expect(rejected.at(-1)).toMatchObject({ reason: 'not_trusted' });
  });
});

/**
 * Mistakes that used to pass without a word: each is now reported where an operator looks (an
 * error at start-up, an event, a process warning, the start-up summary).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import Provider, { type ClientMetadata } from 'oidc-provider';
import request from 'supertest';

import {
  ClientMetadataError, MemoryStore, sessionTransfer, UsageError, type IgnoredEvent, type WarningEvent,
} from '../../lib/index.js';
import { AUDIENCE, ISSUER, quitRedis, redisClient, testIdentityProvider, webTestClient } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { authorize, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(() => quitRedis(redis));

/** The codes of the process warnings emitted while `run` runs. */
async function processWarnings(run: () => Promise<void>): Promise<{ code: string | undefined; message: string }[]> {
  const printed: { code: string | undefined; message: string }[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((message: string, options?: { code?: string }) => printed.push({ code: options?.code, message })) as typeof process.emitWarning;
  try {
    await run();
  } finally {
    process.emitWarning = emitWarning;
  }
  return printed;
}

const nativeClient = {
  client_id: 'app', application_type: 'native' as const, token_endpoint_auth_method: 'none' as const,
  redirect_uris: ['com.example.app:/cb'], grant_types: ['authorization_code', 'refresh_token'],
  session_transfer: { can_create_session_transfer_token: true },
};

describe('a provider that is never attached', () => {
  it('is reported within a second of new Provider(), even when its first request (an Auth0-form JSON mint) loads no client', async () => {
    const transfer = sessionTransfer({ store: new MemoryStore(), auth0Compatible: true });
    const warnings: WarningEvent[] = [];
    transfer.on('warning', (event) => warnings.push(event));
    const printed = await processWarnings(async () => {
      const provider = new Provider(ISSUER, transfer.configure({ clients: [nativeClient] }));
      const res = await request(provider.callback()).post('/oauth/token').send({
        grant_type: 'refresh_token', client_id: 'app', refresh_token: 'x'.repeat(43), audience: AUDIENCE,
      });
      expect(res.status).toBe(400);
      await new Promise((resolve) => setTimeout(resolve, 1200));
    });
    expect(warnings).toEqual([{ type: 'warning', code: 'not_attached', message: expect.stringContaining('before transfer.attach(provider, { app }) was called') }]);
    expect(printed.map(({ code }) => code)).toEqual(['OIDC_SESSION_TRANSFER_NOT_ATTACHED']);
  });

  it('is not reported when attach() follows new Provider()', async () => {
    const transfer = sessionTransfer({ store: new MemoryStore(), startupSummary: false });
    const warnings: WarningEvent[] = [];
    transfer.on('warning', (event) => warnings.push(event));
    transfer.attach(new Provider(ISSUER, transfer.configure({ clients: [nativeClient] })));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(warnings).toEqual([]);
  });
});

describe('attach() given a provider that was not built from configure()', () => {
  it('throws a UsageError naming the fix', () => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const configuration = { clients: [nativeClient] };
    transfer.configure(configuration);
    const provider = new Provider(ISSUER, configuration);
    expect(() => transfer.attach(provider)).toThrow(UsageError);
    expect(() => transfer.attach(provider)).toThrow(/attach\(\): the provider was not built from what configure\(\) returned: .*new Provider\(issuer, transfer\.configure\(configuration\)\)/);
  });

  it('accepts a provider built from a copy of the result', () => {
    const transfer = sessionTransfer({ store: new MemoryStore(), startupSummary: false });
    expect(() => transfer.attach(new Provider(ISSUER, { ...transfer.configure({ clients: [nativeClient] }) }))).not.toThrow();
  });
});

describe('a refresh_token grant whose audience looks meant to mint', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'near-miss:' });
  const ignored: IgnoredEvent[] = [];
  idp.transfer.on('ignored', (event) => ignored.push(event));

  it.each([
    ['the transfer audience with a hyphen', 'urn:localhost:3000:session-transfer'],
    ['the issuer', `${ISSUER}/`],
    ['a web client that accepts tokens', 'query-web'],
  ])('%s: runs as the provider answers it, and is reported with the audience to send', async (_name, audience) => {
    const native = await nativeLogin(idp.app);
    const before = ignored.length;
    const res = await request(idp.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token, audience,
    });
    // oidc-provider's own answer, whatever it is for this audience (a token or invalid_target).
    expect(res.body.issued_token_type).toBeUndefined();
    expect(ignored.slice(before)).toEqual([{
      type: 'ignored', reason: 'audience_near_miss', clientId: 'example-native', audience, ip: '127.0.0.1', userAgent: undefined,
      message: expect.stringContaining(`to mint, send audience ${AUDIENCE}`),
    }]);
    expect(JSON.stringify(ignored.at(-1))).not.toContain(native.refresh_token);
  });

  it('an ordinary refresh, or one for a real resource, is not reported', async () => {
    const native = await nativeLogin(idp.app);
    const before = ignored.length;
    const res = await request(idp.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token,
    });
    expect(res.status).toBe(200);
    await request(idp.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: res.body.refresh_token, audience: 'https://api.example.com',
    });
    expect(ignored).toHaveLength(before);
  });
});

describe('a transfer cookie under another name', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'cookie-name:' });
  const ignored: IgnoredEvent[] = [];
  idp.transfer.on('ignored', (event) => ignored.push(event));

  it.each(['session_transfer_token', 'Auth0-Session-Transfer-Token', 'auth0_session_transfer_tokens'])(
    '%s: reported, naming the cookie name the library reads, the value never looked at', async (name) => {
      const { token } = await mintToken(idp.app);
      const query = new URLSearchParams({ client_id: 'cookie-web', response_type: 'code', redirect_uri: 'https://cookie-web.example/cb', scope: 'openid', prompt: 'none' });
      const res = await request(idp.app).get(`/auth?${query}`).set('cookie', `other=1; ${name}=${token}`);
      expect(res.headers.location).toContain('error=login_required');
      expect(ignored.at(-1)).toEqual({
        type: 'ignored', reason: 'cookie_name_mismatch', clientId: 'cookie-web', transport: 'cookie', ip: '127.0.0.1', userAgent: undefined,
        message: `a cookie named "${name}" arrived at the authorization endpoint for client "cookie-web", but the token is read from the cookie "auth0_session_transfer_token" (options.cookieName): set the cookie under that name, or set cookieName to the name your apps use`,
      });
      expect(JSON.stringify(ignored.at(-1))).not.toContain(token);
    });

  it('no event for unrelated cookies or the right name', async () => {
    const before = ignored.length;
    const query = new URLSearchParams({ client_id: 'cookie-web', response_type: 'code', redirect_uri: 'https://cookie-web.example/cb', scope: 'openid', prompt: 'none' });
    await request(idp.app).get(`/auth?${query}`).set('cookie', 'transfer_id=1; theme=dark');
    const { token } = await mintToken(idp.app);
    expect((await request(idp.app).get(`/auth?${query}`).set('cookie', `auth0_session_transfer_token=${token}`)).headers.location).toContain('code=');
    expect(ignored).toHaveLength(before);
  });
});

describe('defaults an operator sees without a listener', () => {
  it('the first ignored token of each configuration-caused reason is a process warning; later ones and prompt=login are not', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'ignored-warning:' });
    const printed = await processWarnings(async () => {
      for (const clientId of ['closed-web', 'closed-web', 'query-web']) {
        const { token } = await mintToken(idp.app);
        const cookie = clientId === 'query-web' ? token : undefined;
        await authorize(request.agent(idp.app), idp.provider, {
          clientId, redirectUri: clientId === 'closed-web' ? 'http://localhost:3002/callback' : undefined,
          ...(cookie ? { cookie } : { token }), prompt: 'none',
        });
      }
      const { token } = await mintToken(idp.app);
      await authorize(request.agent(idp.app), idp.provider, { clientId: 'query-web', token, prompt: 'login' });
    });
    expect(printed.map(({ code }) => code)).toEqual([
      'OIDC_SESSION_TRANSFER_IGNORED_CLIENT_ACCEPTS_NO_TRANSFERS', 'OIDC_SESSION_TRANSFER_IGNORED_TRANSPORT_NOT_ALLOWED',
    ]);
    expect(printed[0]!.message).toMatch(/^oidc-session-transfer: client "closed-web" accepts no session transfer tokens: set its session_transfer\.allowed_authentication_methods/);
  });

  it('attach() prints one line: which static clients mint and accept, and where failures show', () => {
    const lines: string[] = [];
    const transfer = sessionTransfer({ store: new MemoryStore(), startupSummary: (line) => lines.push(line) });
    const app = express();
    transfer.attach(new Provider(ISSUER, transfer.configure({
      clients: [nativeClient, webTestClient('web', { allowed_authentication_methods: ['cookie', 'query'] })],
    })), { app });
    expect(lines).toEqual([`oidc-session-transfer: attached to ${ISSUER}; static clients that may mint: app; that accept tokens: web (cookie+query, ip binding). `
      + 'Refused and ignored tokens are events (transfer.on("rejected" | "ignored")) and DEBUG=oidc-session-transfer lines.']);
  });
});

describe('start-up validation', () => {
  it('a minting client without the refresh_token grant is refused, naming the client and the fix', () => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const withoutGrants: ClientMetadata = { ...nativeClient };
    delete withoutGrants.grant_types;
    for (const client of [withoutGrants, { ...nativeClient, grant_types: ['authorization_code'] }]) {
      expect(() => transfer.configure({ clients: [client] })).toThrow(ClientMetadataError);
      expect(() => transfer.configure({ clients: [client] })).toThrow(
        'client "app": session_transfer.can_create_session_transfer_token needs the refresh_token grant: the app mints from its refresh token, so add "refresh_token" to grant_types');
    }
  });

  it.each([
    ['session_transfers', 'session_transfer'],
    ['sessionTransfer', 'session_transfer'],
    ['session_transfer_settings', 'session_transfer'],
    ['isFirstParty', 'is_first_party'],
  ])('a client property %s is refused: did you mean %s?', (key, meant) => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const client = { ...webTestClient('web', {}), [key]: { allowed_authentication_methods: ['query'] } };
    expect(() => transfer.configure({ clients: [client] })).toThrow(`client "web": ${key} is not a client property the library reads: did you mean ${meant}?`);
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';

import { createIdentityProvider } from '../../examples/idp/app.js';
import { MemoryStore, redisAdapter, type CascadeFailedEvent, type CascadeRevokedEvent } from '../../lib/index.js';
import { CASCADE_RETRY_DELAYS, createCascade } from '../../lib/revocation/cascade.js';
import { noTelemetry } from '../../lib/telemetry/telemetry.js';
import { AUDIENCE, ISSUER, quitRedis, redisClient, settledBeforeQuit, testClients, testIdentityProvider, webTestClient } from '../helpers/idp.js';
import { storeFailingFirstCascade } from '../helpers/flaky-store.js';
import { nativeLogin } from '../helpers/native-login.js';
import { authorize, exchangeCode, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await quitRedis(redis);
});

async function revokeNative(app: Parameters<typeof request>[0], refreshToken: string) {
  const res = await request(app).post('/token/revocation').type('form').send({ client_id: 'example-native', token: refreshToken });
  expect(res.status).toBe(200);
}

describe('a provider restarted between redeem and code exchange (same Redis)', () => {
  it('completes the flow: nothing lived only in memory', async () => {
    const shared = { issuer: ISSUER, clients: testClients, cookieKeys: ['restart-test-cookie-key'] };
    const adapter = redisAdapter({ client: redis, prefix: 'restart:oidc:' });
    const first = settledBeforeQuit(createIdentityProvider({ ...shared, transfer: { redis, keyPrefix: 'restart:' }, configuration: { adapter } }));
    const { token } = await mintToken(first.app);
    const browser = request.agent(first.app);
    const redeemed = await authorize(browser, first.provider, { token });
    if (redeemed.kind !== 'code') throw new Error(redeemed.kind);

    // "Restart": a new process-worth of provider and library, nothing carried over but Redis.
    const second = settledBeforeQuit(createIdentityProvider({ ...shared, transfer: { redis, keyPrefix: 'restart:' }, configuration: { adapter } }));
    const tokens = await exchangeCode(second.app, redeemed.code);
    expect(tokens.status).toBe(200);
    const cookies = (redeemed.res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const again = await request(second.app).get(`/auth?${new URLSearchParams({
      client_id: 'example-web', response_type: 'code', redirect_uri: 'http://localhost:3001/callback', scope: 'openid', prompt: 'none',
    })}`).set('cookie', cookies);
    expect(new URL(again.headers.location!).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe("with oidc-provider's in-memory adapter", () => {
  it("cascades from the provider's grant.revoked event", async () => {
    const idp = testIdentityProvider({ store: new MemoryStore() });
    const done = new Promise<CascadeRevokedEvent>((resolve) => idp.transfer.once('cascade_revoked', resolve));
    const { token, native } = await mintToken(idp.app);
    const browser = request.agent(idp.app);
    expect((await authorize(browser, idp.provider, { token })).kind).toBe('code');
    await revokeNative(idp.app, native.refresh_token);
    expect(await done).toMatchObject({ trigger: 'revocation', sessions: 1 });
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

describe("revokeGrant() with oidc-provider's in-memory adapter", () => {
  it('cascades by itself', async () => {
    const idp = testIdentityProvider({ store: new MemoryStore() });
    const cascades: CascadeRevokedEvent[] = [];
    idp.transfer.on('cascade_revoked', (e) => cascades.push(e));
    const { token, native } = await mintToken(idp.app);
    const browser = request.agent(idp.app);
    expect((await authorize(browser, idp.provider, { token })).kind).toBe('code');
    const { grantId } = (await idp.provider.RefreshToken.find(native.refresh_token))!;
    await idp.transfer.revokeGrant(grantId!);
    expect(cascades).toEqual([expect.objectContaining({ trigger: 'api', grantId, sessions: 1 })]);
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

describe('a cascade that fails', () => {
  it('is reported and retried, and the children stay recorded until it succeeds', async () => {
    // The store fails the cascade's first step, then recovers.
    const flaky = storeFailingFirstCascade(new Error('store hiccup'));
    const idp = testIdentityProvider({ store: flaky });
    const failed: CascadeFailedEvent[] = [];
    idp.transfer.on('cascade_failed', (e) => failed.push(e));
    const done = new Promise<CascadeRevokedEvent>((resolve) => idp.transfer.once('cascade_revoked', resolve));

    const { token, native } = await mintToken(idp.app);
    const browser = request.agent(idp.app);
    expect((await authorize(browser, idp.provider, { token })).kind).toBe('code');
    await revokeNative(idp.app, native.refresh_token);
    expect(failed).toEqual([expect.objectContaining({ attempt: 1, willRetry: true, error: 'store hiccup' })]);
    expect(await done).toMatchObject({ sessions: 1 });
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it('threat: a cascade that fails more often than it has scheduled retries is abandoned, leaving the web session signed in: it is retried until it succeeds', async () => {
    const failures = CASCADE_RETRY_DELAYS.length + 2;
    const store = storeFailingFirstCascade(new Error('store down'), failures);
    const idp = testIdentityProvider({ store });
    // The library's cascade over the same store and provider, with its retries 10 ms apart instead of up to 30 s.
    const { cascade } = createCascade({
      store, events: idp.transfer, telemetry: noTelemetry(store), clock: Date.now, ttl: 60, retryDelays: CASCADE_RETRY_DELAYS.map(() => 10),
    });
    const failed: CascadeFailedEvent[] = [];
    idp.transfer.on('cascade_failed', (e) => failed.push(e));
    const done = new Promise<CascadeRevokedEvent>((resolve) => idp.transfer.once('cascade_revoked', resolve));

    const { token, native } = await mintToken(idp.app);
    const browser = request.agent(idp.app);
    expect((await authorize(browser, idp.provider, { token })).kind).toBe('code');
    const { grantId } = (await idp.provider.RefreshToken.find(native.refresh_token))!;
    await cascade(idp.provider, grantId!, { trigger: 'api' });
    expect(await Promise.race([done, delay(2000, 'abandoned', { ref: false })])).toMatchObject({ grantId, trigger: 'api', sessions: 1 });
    expect(failed.map(({ attempt, willRetry }) => ({ attempt, willRetry })))
      .toEqual(Array.from({ length: failures }, (_, i) => ({ attempt: i + 1, willRetry: true })));
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

describe('back-channel logout', () => {
  it('sends the web clients of the ended sessions their logout tokens', async () => {
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        received.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const { port } = receiver.address() as { port: number };
    try {
      const idp = settledBeforeQuit(createIdentityProvider({
        issuer: ISSUER,
        transfer: { redis, keyPrefix: 'bcl:' },
        clients: [...testClients, {
          ...webTestClient('bcl-web', { allowed_authentication_methods: ['query'] }),
          backchannel_logout_uri: `http://127.0.0.1:${port}/logout`,
        }],
        configuration: { adapter: redisAdapter({ client: redis, prefix: 'bcl:oidc:' }), features: { devInteractions: { enabled: false }, revocation: { enabled: true }, backchannelLogout: { enabled: true } } },
      }));
      const native = await nativeLogin(idp.app);
      const minted = await request(idp.app).post('/token').type('form').send({
        grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token, audience: AUDIENCE,
      });
      const browser = request.agent(idp.app);
      expect((await authorize(browser, idp.provider, { clientId: 'bcl-web', token: minted.body.access_token })).kind).toBe('code');

      await revokeNative(idp.app, minted.body.refresh_token);
      expect(received).toHaveLength(1);
      const claims = JSON.parse(Buffer.from(received[0]!.split('.')[1]!, 'base64url').toString());
      expect(claims).toMatchObject({ sub: 'demo', aud: 'bcl-web', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    } finally {
      receiver.close();
    }
  });
});

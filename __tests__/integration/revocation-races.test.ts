/**
 * Threats: a native refresh token revoked while a redeem is in flight (the redeem hook is slow)
 * left a live web session; a refresh token revoked under a `revokeGrantPolicy` that keeps its grant
 * left its transfer tokens redeemable and its transferred sessions alive.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';

import {
  StoreUnavailableError, type CascadeFailedEvent, type CascadeRevokedEvent, type RejectedEvent,
} from '../../lib/index.js';
import { quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { storeFailingFirstCascade } from '../helpers/flaky-store.js';
import { authorize, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await quitRedis(redis);
});

const revoke = (app: Parameters<typeof request>[0], refreshToken: string) =>
  request(app).post('/token/revocation').type('form').send({ client_id: 'example-native', token: refreshToken });

describe('a refresh token revoked while a redeem runs', () => {
  it('ends at the login prompt: the lineage refuses the session once the parent\'s cascade has begun', async () => {
    let hookEntered: () => void = () => undefined;
    const inHook = new Promise<void>((resolve) => { hookEntered = resolve; });
    const idp = testIdentityProvider({
      redis, keyPrefix: 'race-hook:', redeemHookTimeout: 5000,
      onRedeem: async () => {
        hookEntered();
        await sleep(800);
        return {};
      },
    });
    const rejected: RejectedEvent[] = [];
    idp.transfer.on('rejected', (event) => rejected.push(event));
    const { token, native } = await mintToken(idp.app);
    const browser = request.agent(idp.app);
    const redeeming = authorize(browser, idp.provider, { token, prompt: 'none' });
    await inHook;
    expect((await revoke(idp.app, native.refresh_token)).status).toBe(200);
    expect(await redeeming).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'parent_revoked' });
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

describe('a grant that ended, whatever the minting process\'s clock said', () => {
  it('voids every token it minted: one issued "later" (a mint racing the revocation, a clock ahead) too', async () => {
    let skew = 0;
    const idp = testIdentityProvider({ redis, keyPrefix: 'race-clock:', clock: () => Date.now() + skew });
    const rejected: RejectedEvent[] = [];
    idp.transfer.on('rejected', (event) => rejected.push(event));
    // Minted by a process whose clock runs 30 s ahead of the one that revokes.
    skew = 30_000;
    const { token, native } = await mintToken(idp.app);
    skew = 0;
    expect((await revoke(idp.app, native.refresh_token)).status).toBe(200);
    expect(await authorize(request.agent(idp.app), idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'parent_revoked' });
  });
});

describe('a refresh token revoked while its grant is kept (revokeGrantPolicy)', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'race-keep:' }, {
    rotateRefreshToken: false,
    // The host keeps grants when a token is revoked.
    revokeGrantPolicy: () => false,
  });
  const rejected: RejectedEvent[] = [];
  const cascades: CascadeRevokedEvent[] = [];
  idp.transfer.on('rejected', (event) => rejected.push(event));
  idp.transfer.on('cascade_revoked', (event) => cascades.push(event));

  it('voids its outstanding transfer tokens and ends the sessions they made', async () => {
    const first = await mintToken(idp.app);
    const browser = request.agent(idp.app);
    expect((await authorize(browser, idp.provider, { token: first.token })).kind).toBe('code');
    const outstanding = (await request(idp.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: first.native.refresh_token, audience: 'urn:localhost:3000:session_transfer',
    })).body.access_token as string;

    expect((await revoke(idp.app, first.native.refresh_token)).status).toBe(200);
    expect(cascades.at(-1)).toMatchObject({ trigger: 'revocation', sessions: 1 });
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(await authorize(request.agent(idp.app), idp.provider, { token: outstanding, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'parent_revoked' });

    // A new native login mints and redeems as usual.
    const second = await mintToken(idp.app);
    expect((await authorize(request.agent(idp.app), idp.provider, { token: second.token })).kind).toBe('code');
  });
});

describe('the revocation marker, when the store fails to write it', () => {
  it('is reported and retried, and then voids the outstanding tokens', async () => {
    const store = storeFailingFirstCascade(new StoreUnavailableError('store hiccup'));
    const idp = testIdentityProvider({ store }, { rotateRefreshToken: false, revokeGrantPolicy: () => false });
    const failed: CascadeFailedEvent[] = [];
    idp.transfer.on('cascade_failed', (event) => failed.push(event));
    const { token, native } = await mintToken(idp.app);
    expect((await revoke(idp.app, native.refresh_token)).status).toBe(200);
    expect(failed).toEqual([expect.objectContaining({ attempt: 1, willRetry: true, trigger: 'revocation', error: 'store hiccup' })]);
    await sleep(1200);
    expect(await authorize(request.agent(idp.app), idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

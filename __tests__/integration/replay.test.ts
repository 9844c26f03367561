/**
 * Beyond Auth0 — replay detection. A token presented again after it was used is reported as
 * `replayed` (not as garbage) for its lifetime, with no extra round trip on the successful redeem;
 * opt-in, a replay revokes the parent grant, since the token leaked.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { CascadeRevokedEvent, RejectedEvent } from '../../lib/index.js';
import { quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { authorize, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await quitRedis(redis);
});

describe('a replayed token', () => {
  // One proxy in front: each request says which address it came from.
  const device = { 'x-forwarded-for': '203.0.113.7' };
  const elsewhere = { 'x-forwarded-for': '198.51.100.9' };
  const at = (app: Parameters<typeof request.agent>[0], from: Record<string, string>) => request.agent(app).set(from);

  it('is reported as replayed, and with onReplay "revoke_grant", from another address, its parent grant ends with what it spawned', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'replay-revoke:', onReplay: 'revoke_grant', trustProxy: 1 });
    const rejected: RejectedEvent[] = [];
    const cascades: CascadeRevokedEvent[] = [];
    idp.transfer.on('rejected', (event) => rejected.push(event));
    idp.transfer.on('cascade_revoked', (event) => cascades.push(event));
    const { token, native } = await mintToken(idp.app, {}, device);
    const victim = at(idp.app, device);
    expect((await authorize(victim, idp.provider, { token })).kind).toBe('code');

    // A reload from the same address is only reported.
    expect(await authorize(at(idp.app, device), idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'replayed' });
    expect(cascades).toEqual([]);

    // The same token from another address leaked: refused, and the native grant is revoked.
    expect(await authorize(at(idp.app, elsewhere), idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'replayed', grantId: expect.any(String) });
    expect(cascades.at(-1)).toMatchObject({ grantId: rejected.at(-1)!.grantId, trigger: 'token_replayed', sessions: 1 });
    const refresh = await request(idp.app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(refresh.body.error).toBe('invalid_grant');
    expect(await authorize(victim, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it.each([
    ['127.0.0.1', '::1', 'example-web'],
    ['2001:db8:1:2::a', '2001:db8:1:2:ffff::b', 'prefix-web'],
  ])('threat: a reload from what binding counts as the same device (%s, then %s at %s) revokes the user\'s own grant: it does not', async (first, again, clientId) => {
    const idp = testIdentityProvider({ redis, keyPrefix: `replay-device-${clientId}:`, onReplay: 'revoke_grant', trustProxy: 1 });
    const cascades: CascadeRevokedEvent[] = [];
    idp.transfer.on('cascade_revoked', (event) => cascades.push(event));
    const { token, native } = await mintToken(idp.app, {}, { 'x-forwarded-for': first });
    expect((await authorize(at(idp.app, { 'x-forwarded-for': first }), idp.provider, { clientId, token })).kind).toBe('code');
    expect((await authorize(at(idp.app, { 'x-forwarded-for': again }), idp.provider, { clientId, token, prompt: 'none' })).kind).toBe('error');
    expect(cascades).toEqual([]);
    const refresh = await request(idp.app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(refresh.status).toBe(200);
    // Outside the prefix it is another device: the grant ends.
    expect((await authorize(at(idp.app, elsewhere), idp.provider, { clientId, token, prompt: 'none' })).kind).toBe('error');
    expect(cascades).toHaveLength(1);
  });

  it('by default is only reported: the native grant lives on', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'replay-report:' });
    const { token, native } = await mintToken(idp.app);
    expect((await authorize(request.agent(idp.app), idp.provider, { token })).kind).toBe('code');
    expect((await authorize(request.agent(idp.app), idp.provider, { token, prompt: 'none' })).kind).toBe('error');
    const refresh = await request(idp.app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(refresh.status).toBe(200);
  });

  it('an unknown token is still not_found_or_expired', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'replay-unknown:', onReplay: 'revoke_grant' });
    const rejected: RejectedEvent[] = [];
    idp.transfer.on('rejected', (event) => rejected.push(event));
    await authorize(request.agent(idp.app), idp.provider, { token: 'A'.repeat(43), prompt: 'none' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'not_found_or_expired' });
  });
});

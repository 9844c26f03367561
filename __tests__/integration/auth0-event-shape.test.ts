import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import {
  AUTH0_WARNINGS, type IssuedEvent, type IssueFailedEvent, type RedeemedEvent, type RedeemHookContext, type RejectedEvent,
} from '../../lib/index.js';
import { AUDIENCE, quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { authorize, exchangeCode, idTokenClaims, mintToken } from '../helpers/web-login.js';

const DEVICE_CLAIM = 'https://example.com/device';
const redis = redisClient();
const hookContexts: RedeemHookContext[] = [];
const { app, provider, transfer } = testIdentityProvider({
  redis,
  keyPrefix: 'event-shape-test:',
  // As Auth0's api.refreshToken.setMetadata at the native login.
  refreshTokenMetadata: (_ctx, refreshToken) => ({ device: 'pixel-9', issued_to: refreshToken.clientId }),
  // As a post-login Action: reads the parent refresh token's metadata, sets a custom ID token claim.
  onRedeem(context) {
    hookContexts.push(context);
    return { idTokenClaims: { [DEVICE_CLAIM]: context.session.session_transfer.parent_refresh_token?.metadata.device } };
  },
}, {
  claims: { openid: ['sub', DEVICE_CLAIM], email: ['email', 'email_verified'], profile: ['name'] },
});
const issued: IssuedEvent[] = [];
const failed: IssueFailedEvent[] = [];
const redeemed: RedeemedEvent[] = [];
const rejected: RejectedEvent[] = [];
transfer.on('issued', (e) => issued.push(e));
transfer.on('issue_failed', (e) => failed.push(e));
transfer.on('redeemed', (e) => redeemed.push(e));
transfer.on('rejected', (e) => rejected.push(e));

afterAll(async () => {
  await quitRedis(redis);
});

describe("Auth0's event shape", () => {
  it('the redeem hook sees session_transfer_token and the parent refresh token with its metadata; the custom claim reaches the ID token', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(request.agent(app), provider, { token, scope: 'openid email' });
    expect(result.kind).toBe('code');
    expect(hookContexts.at(-1)).toMatchObject({
      session_transfer_token: { client_id: 'example-native', scope: expect.arrayContaining(['openid', 'email']), request: { ip: expect.any(String) } },
      session: { session_transfer: { parent_refresh_token: { id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), metadata: { device: 'pixel-9', issued_to: 'example-native' } } } },
    });
    const tokens = await exchangeCode(app, (result as { code: string }).code);
    expect(idTokenClaims(tokens.body.id_token)).toMatchObject({ sub: 'demo', [DEVICE_CLAIM]: 'pixel-9' });
  });

  it('the metadata follows the refresh token through rotation; the id names the token the mint used', async () => {
    const first = await mintToken(app);
    await authorize(request.agent(app), provider, { token: first.token });
    const firstId = hookContexts.at(-1)!.session.session_transfer.parent_refresh_token!.id;
    // The next mint uses the rotated refresh token the first mint returned.
    const res = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: first.native.refresh_token, audience: AUDIENCE,
    });
    expect(res.status).toBe(200);
    await authorize(request.agent(app), provider, { token: res.body.access_token });
    const second = hookContexts.at(-1)!.session.session_transfer.parent_refresh_token!;
    expect(second.metadata).toEqual({ device: 'pixel-9', issued_to: 'example-native' });
    expect(second.id).not.toBe(firstId);
  });

  it("a hook claim that would overwrite a session claim denies the transfer", async () => {
    const own = testIdentityProvider({ redis, keyPrefix: 'event-shape-test-2:', onRedeem: () => ({ idTokenClaims: { sub: 'someone-else' } }) });
    const { token } = await mintToken(own.app);
    const result = await authorize(request.agent(own.app), own.provider, { token });
    expect(result).toMatchObject({ kind: 'interaction', prompt: 'login' });
  });

  it("events carry Auth0's log codes and warning texts", async () => {
    const { token } = await mintToken(app);
    expect(issued.at(-1)).toMatchObject({ logCode: 'sertft', form: 'refresh_token' });
    await authorize(request.agent(app), provider, { token });
    expect(redeemed.at(-1)).toMatchObject({ logCode: 's', triggeredBySessionTransferToken: true });
    await authorize(request.agent(app), provider, { token });
    expect(rejected.at(-1)).toMatchObject({ logCode: 'w', reason: 'replayed', description: AUTH0_WARNINGS.replayed });
    expect(AUTH0_WARNINGS.not_found_or_expired).toBe('Single Sign-On failed: Session Transfer Token not found or expired. This may indicate token reuse or expiration.');
    const silent = await mintToken(app);
    await authorize(request.agent(app), provider, { token: silent.token, prompt: 'none' });
    expect(redeemed.at(-1)).toMatchObject({ logCode: 'ssa' });
    const refused = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: 'nope', audience: AUDIENCE,
    });
    expect(refused.status).toBe(400);
    expect(failed.at(-1)).toMatchObject({ logCode: 'fertft', reason: 'refresh_token_invalid' });
  });
});

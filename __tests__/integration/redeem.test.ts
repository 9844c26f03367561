import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { RedeemedEvent, RejectedEvent, SessionRevokedEvent } from '../../lib/index.js';
import { hashToken } from '../../lib/token.js';
import { redisClient, testIdentityProvider } from '../helpers/idp.js';
import {
  authorize, browserLogin, exchangeCode, idTokenClaims, mintToken, redirectUriOf,
} from '../helpers/web-login.js';

const redis = redisClient();
const { app, provider, transfer } = testIdentityProvider({ redis, keyPrefix: 'redeem-test:' });
const redeemed: RedeemedEvent[] = [];
const rejected: RejectedEvent[] = [];
const revoked: SessionRevokedEvent[] = [];
transfer.on('redeemed', (e) => redeemed.push(e));
transfer.on('rejected', (e) => rejected.push(e));
transfer.on('session_revoked', (e) => revoked.push(e));

afterAll(async () => {
  await redis.quit();
});

const browser = () => request.agent(app);

describe('redeem: transports', () => {
  it('signs a browser with no session in from the query parameter, with no prompt', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(browser(), provider, { token });
    expect(result.kind).toBe('code');
    expect(redeemed.at(-1)).toMatchObject({ clientId: 'example-web', issuingClientId: 'example-native', accountId: 'demo', transport: 'query', outcome: 'new_session' });
  });

  it('signs in from the cookie, and clears the cookie in the response', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(browser(), provider, { cookie: token });
    expect(result.kind).toBe('code');
    expect(redeemed.at(-1)).toMatchObject({ transport: 'cookie' });
    const cleared = (result.res.headers['set-cookie'] as unknown as string[])
      .find((c) => c.startsWith('auth0_session_transfer_token='));
    expect(cleared).toMatch(/^auth0_session_transfer_token=;.*expires=Thu, 01 Jan 1970/i);
  });

  it('uses the query when both arrive, leaving the cookie token unconsumed', async () => {
    const first = await mintToken(app);
    const second = await mintToken(app, { login: 'other@example.com', password: 'other' });
    const result = await authorize(browser(), provider, { token: first.token, cookie: second.token });
    expect(result.kind).toBe('code');
    expect(redeemed.at(-1)).toMatchObject({ transport: 'query', accountId: 'demo' });
    expect(await redis.exists(`redeem-test:{${hashToken(second.token)}}`)).toBe(1);
  });

  it('ignores a token by a transport the client does not allow, without consuming it', async () => {
    const { token } = await mintToken(app);
    const ignored = await authorize(browser(), provider, { clientId: 'query-web', cookie: token });
    expect(ignored).toMatchObject({ kind: 'interaction', prompt: 'login' });
    const used = await authorize(browser(), provider, { clientId: 'cookie-web', cookie: token, prompt: 'none' });
    expect(used.kind).toBe('code');
  });
});

describe('redeem: the four session cases', () => {
  it('1: signs in, then asks consent when prompt=consent asks for it', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(browser(), provider, { token, prompt: 'consent' });
    expect(result).toMatchObject({ kind: 'interaction', prompt: 'consent' });
    expect(redeemed.at(-1)).toMatchObject({ outcome: 'new_session' });
  });

  it('1: a web client that is not first-party is asked for consent, not a login', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(browser(), provider, { clientId: 'consenting-web', token });
    expect(result).toMatchObject({ kind: 'interaction', prompt: 'consent' });
  });

  it('1: no session + valid token → code, ID token sub of the native user, transfer in amr', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(browser(), provider, { token });
    if (result.kind !== 'code') throw new Error(result.kind);
    const tokens = await exchangeCode(app, result.code);
    expect(tokens.status).toBe(200);
    expect(idTokenClaims(tokens.body.id_token)).toMatchObject({ sub: 'demo', aud: 'example-web', amr: ['pwd', 'session_transfer'] });
    expect(tokens.body.refresh_token).toBeUndefined();
  });

  it('1: issues refresh tokens to a client with allow_refresh_token', async () => {
    const { token } = await mintToken(app);
    const result = await authorize(browser(), provider, { clientId: 'refresh-web', token });
    if (result.kind !== 'code') throw new Error(result.kind);
    const tokens = await exchangeCode(app, result.code, 'refresh-web');
    expect(tokens.body.refresh_token).toEqual(expect.any(String));
  });

  it('2: a session of the same user continues', async () => {
    const agent = browser();
    await browserLogin(agent, provider, 'demo@example.com', 'demo');
    const { token } = await mintToken(app);
    const result = await authorize(agent, provider, { token, prompt: 'none' });
    expect(result.kind).toBe('code');
    expect(redeemed.at(-1)).toMatchObject({ outcome: 'same_user' });
  });

  it("3: another user's session is ended, its grants revoked, and the login prompt shown", async () => {
    const agent = browser();
    const code = await browserLogin(agent, provider, 'other@example.com', 'other', 'refresh-web');
    const before = await exchangeCode(app, code, 'refresh-web');
    expect(before.body.refresh_token).toEqual(expect.any(String));
    const pending = await authorize(agent, provider, { clientId: 'refresh-web', prompt: 'none' });
    if (pending.kind !== 'code') throw new Error(pending.kind);

    const { token } = await mintToken(app);
    const result = await authorize(agent, provider, { token, clientId: 'refresh-web' });
    expect(result).toMatchObject({ kind: 'interaction', prompt: 'login', reasons: expect.arrayContaining(['session_transfer_rejected']) });
    expect(revoked.at(-1)).toMatchObject({ accountId: 'other', reason: 'user_mismatch' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'user_mismatch', accountId: 'demo' });

    // Nothing of the old session works any more: not the session, its code or its refresh token.
    expect((await authorize(agent, provider, { clientId: 'refresh-web', prompt: 'none' })).kind).toBe('error');
    expect((await exchangeCode(app, pending.code, 'refresh-web')).body.error).toBe('invalid_grant');
    const refreshed = await request(app).post('/token').auth('refresh-web', 'refresh-web-secret').type('form')
      .send({ grant_type: 'refresh_token', refresh_token: before.body.refresh_token });
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('4: an invalid token forces the login prompt over an existing session', async () => {
    const agent = browser();
    await browserLogin(agent, provider, 'demo@example.com', 'demo');
    const result = await authorize(agent, provider, { token: 'not-a-token' });
    expect(result).toMatchObject({ kind: 'interaction', prompt: 'login', reasons: expect.arrayContaining(['session_transfer_rejected']) });
    expect(rejected.at(-1)).toMatchObject({ reason: 'not_found_or_expired' });
    const silent = await authorize(agent, provider, { token: 'not-a-token', prompt: 'none' });
    expect(silent).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { RedeemedEvent, RejectedEvent, SessionRevokedEvent } from '../../lib/index.js';
import { tokenKey } from '../helpers/stored-token.js';
import { quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import {
  authorize, browserLogin, exchangeCode, idTokenClaims, mintToken,
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
  await quitRedis(redis);
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
    expect(await redis.exists(tokenKey(redis, 'redeem-test:', second.token))).toBe(1);
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

  it('1 (threat: scope widened at redeem): a first-party client gets without consent only the scope the token carries', async () => {
    const native = await nativeLogin(app);
    const narrow = await request(app).post('/token').type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_id: 'example-native', subject_token: native.refresh_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token', requested_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token',
      scope: 'openid',
    });
    const wider = await authorize(browser(), provider, { token: narrow.body.access_token, scope: 'openid email profile', prompt: 'none' });
    expect(wider).toMatchObject({ kind: 'error', error: 'consent_required' });

    // Within the token's scope, no consent; the access token carries that scope and no more.
    const within = await authorize(browser(), provider, { token: (await mintToken(app)).token, scope: 'openid email', prompt: 'none' });
    if (within.kind !== 'code') throw new Error(within.kind);
    const tokens = await exchangeCode(app, within.code);
    expect(tokens.body.scope).toBe('openid email');
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

  it("3 under prompt=none (threat: another account's token that passes binding is a silent logout): login_required, the session untouched", async () => {
    const agent = browser();
    const code = await browserLogin(agent, provider, 'other@example.com', 'other', 'unbound-web');
    const before = await exchangeCode(app, code, 'unbound-web');
    expect(before.status).toBe(200);
    const revokedBefore = revoked.length;

    const { token } = await mintToken(app);
    expect(await authorize(agent, provider, { token, clientId: 'unbound-web', prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'user_mismatch', accountId: 'demo' });
    expect(revoked).toHaveLength(revokedBefore);
    // The victim is still signed in, as themselves.
    const still = await authorize(agent, provider, { clientId: 'unbound-web', prompt: 'none' });
    if (still.kind !== 'code') throw new Error(still.kind);
    expect(idTokenClaims((await exchangeCode(app, still.code, 'unbound-web')).body.id_token).sub).toBe('other');
  });

  it("3 then another transfer (threat: the ended session's uid joins a second user's lineage, so the first user's revocation ends the second's session): it does not", async () => {
    const agent = browser();
    const first = await mintToken(app);
    expect((await authorize(agent, provider, { token: first.token })).kind).toBe('code');
    const otherLogin = { login: 'other@example.com', password: 'other' };
    // Another user's token: case 3 ends the first session; the next one signs the other user in.
    expect((await authorize(agent, provider, { token: (await mintToken(app, otherLogin)).token })).kind).toBe('interaction');
    const second = await authorize(agent, provider, { token: (await mintToken(app, otherLogin)).token });
    if (second.kind !== 'code') throw new Error(second.kind);
    expect(idTokenClaims((await exchangeCode(app, second.code)).body.id_token).sub).toBe('other');

    // The first user signs their app out everywhere: the second user's session is not theirs.
    expect((await request(app).post('/token/revocation').type('form')
      .send({ client_id: 'example-native', token: first.native.refresh_token })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const still = await authorize(agent, provider, { prompt: 'none' });
    expect(still.kind).toBe('code');
  });

  it("3 (threat: an attacker's link ends the victim's offline grants): the session ends as a logout would, offline grants kept", async () => {
    const agent = browser();
    // The victim's browser holds an offline grant (a native sign-in through it) and an online one.
    const online = await exchangeCode(app, await browserLogin(agent, provider, 'other@example.com', 'other', 'refresh-web'), 'refresh-web');
    // prompt=consent: oidc-provider grants offline_access only then.
    const offline = await nativeLogin(app, { agent, login: 'other@example.com', password: 'other', prompt: 'consent' });

    const { token } = await mintToken(app);
    expect(await authorize(agent, provider, { token, clientId: 'refresh-web' })).toMatchObject({ kind: 'interaction', prompt: 'login' });

    const refresh = (clientId: string, refreshToken: string) => request(app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });
    expect(offline.scope).toContain('offline_access');
    expect((await refresh('example-native', offline.refresh_token)).status).toBe(200);
    expect((await request(app).post('/token').auth('refresh-web', 'refresh-web-secret').type('form')
      .send({ grant_type: 'refresh_token', refresh_token: online.body.refresh_token })).body.error).toBe('invalid_grant');
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

describe('redeem: checks, each with its reason', () => {
  it('refuses a replayed token, reported as replayed (with its grant): login prompt, login_required with prompt=none', async () => {
    const { token } = await mintToken(app);
    expect((await authorize(browser(), provider, { token })).kind).toBe('code');
    const grantId = redeemed.at(-1)!.grantId;
    const replay = await authorize(browser(), provider, { token });
    expect(replay).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'replayed', grantId, transport: 'query', clientId: 'example-web' });
    expect(await authorize(browser(), provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it('refuses a token whose parent refresh token was revoked between mint and redeem', async () => {
    const { token, native } = await mintToken(app);
    const revocation = await request(app).post('/token/revocation').type('form')
      .send({ client_id: 'example-native', token: native.refresh_token });
    expect(revocation.status).toBe(200);
    expect(await authorize(browser(), provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'parent_revoked', accountId: 'demo', issuingClientId: 'example-native' });
  });

  it('refuses a token whose audience names other web clients: client_mismatch', async () => {
    const { native } = await mintToken(app);
    const minted = await request(app).post('/token').type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: 'example-native',
      subject_token: native.refresh_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      requested_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token',
      audience: 'query-web',
    });
    const token = minted.body.access_token;
    expect((await authorize(browser(), provider, { token })).kind).toBe('interaction');
    expect(rejected.at(-1)).toMatchObject({ reason: 'client_mismatch' });
  });

  it('consumes the token on first presentation whatever the outcome', async () => {
    const { native } = await mintToken(app);
    const minted = await request(app).post('/token').type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_id: 'example-native',
      subject_token: native.refresh_token, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      requested_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token', audience: 'query-web',
    });
    await authorize(browser(), provider, { token: minted.body.access_token });
    expect((await authorize(browser(), provider, { clientId: 'query-web', token: minted.body.access_token })).kind).toBe('interaction');
    expect(rejected.at(-1)).toMatchObject({ reason: 'replayed' });
  });

  it('leaves the token unused with prompt=login or max_age=0 (a transfer is not a fresh login)', async () => {
    const { token } = await mintToken(app);
    expect(await authorize(browser(), provider, { token, prompt: 'login' })).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect(await authorize(browser(), provider, { token, maxAge: 0 })).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect((await authorize(browser(), provider, { token })).kind).toBe('code');
  });

  it('never keeps the raw token in the saved interaction', async () => {
    const result = await authorize(browser(), provider, { token: 'some-raw-token-value' });
    if (result.kind !== 'interaction') throw new Error(result.kind);
    const interaction = await provider.Interaction.find(result.uid);
    expect(JSON.stringify(interaction)).not.toContain('some-raw-token-value');
  });

  it('gives exactly one code to 50 concurrent requests carrying the same token', async () => {
    const { token } = await mintToken(app);
    const results = await Promise.all(Array.from({ length: 50 }, () => authorize(browser(), provider, { token, prompt: 'none' })));
    expect(results.filter((r) => r.kind === 'code')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'error' && r.error === 'login_required')).toHaveLength(49);
  });
});

/**
 * Threat: unbounded growth. A client's input must not grow what is stored (a 15 kB User-Agent made
 * a 16 kB record), one refresh token must not mint without limit (300 tokens in 1.7 s), and one
 * native grant must not spawn an unbounded lineage.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { IssueFailedEvent, RejectedEvent } from '../../lib/index.js';
import { AUDIENCE, quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { authorize, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await quitRedis(redis);
});

const mint = (app: Parameters<typeof request>[0], refreshToken: string, headers: Record<string, string> = {}) => request(app).post('/token')
  .set(headers).type('form').send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken, audience: AUDIENCE });

describe('stored fields', () => {
  it('keep every key of the library at 1 kB or less, whatever the client sends', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'bounds-ua:' });
    const sizes = async () => {
      const keys = (await redis.keys('bounds-ua:*')).filter((key) => !key.startsWith('bounds-ua:oidc:'));
      return Promise.all(keys.map(async (key) => Number(await redis.call('MEMORY', 'USAGE', key))));
    };
    // Measured while the token is outstanding (its record holds the minting user agent), then
    // once it signed a browser in (the session's record holds the redeeming one).
    const { token } = await mintToken(idp.app, {}, { 'user-agent': 'x'.repeat(15 * 1024) });
    const outstanding = await sizes();
    expect(outstanding.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...outstanding)).toBeLessThanOrEqual(1024);
    expect((await authorize(request.agent(idp.app).set('user-agent', 'y'.repeat(15 * 1024)), idp.provider, { token })).kind).toBe('code');
    const redeemed = await sizes();
    expect(redeemed.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...redeemed)).toBeLessThanOrEqual(1024);
  });

  it('name at most 10 web clients in a token', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'bounds-aud:' });
    const native = await nativeLogin(idp.app);
    const res = await request(idp.app).post('/token').type('form').send({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', client_id: 'example-native', subject_token: native.refresh_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token', requested_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token',
      audience: Array.from({ length: 11 }, (_, i) => `client-${i}`),
    });
    expect(res.body).toEqual({ error: 'invalid_target', error_description: 'at most 10 web clients may be named' });
  });
});

describe('maxTokensPerGrant', () => {
  it('refuses a grant its next token within one lifetime with 429 too_many_requests, storing nothing more', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'bounds-cap:', maxTokensPerGrant: 3 }, { rotateRefreshToken: false });
    const failed: IssueFailedEvent[] = [];
    idp.transfer.on('issue_failed', (event) => failed.push(event));
    const native = await nativeLogin(idp.app);
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await mint(idp.app, native.refresh_token)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await mint(idp.app, native.refresh_token);
    expect(refused.body).toEqual({ error: 'too_many_requests', error_description: expect.stringContaining('too many session transfer tokens') });
    expect(failed.at(-1)).toMatchObject({ reason: 'too_many_tokens', error: 'too_many_requests' });
    // Three usable tokens; the refused ones were withdrawn (only replay markers remain).
    const values = await Promise.all((await redis.keys('bounds-cap:{*')).map((key) => redis.get(key)));
    expect(values.filter((value) => !value!.startsWith('!'))).toHaveLength(3);
    // Another grant is not affected.
    expect((await mint(idp.app, (await nativeLogin(idp.app)).refresh_token)).status).toBe(200);
  });
});

describe('maxLineagePerGrant', () => {
  it('refuses a transfer past the live sessions a native grant may have (lineage_full), signing nothing in', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'bounds-lineage:', maxLineagePerGrant: 2 }, { rotateRefreshToken: false });
    const rejected: RejectedEvent[] = [];
    idp.transfer.on('rejected', (event) => rejected.push(event));
    const native = await nativeLogin(idp.app);
    const redeem = async () => authorize(request.agent(idp.app), idp.provider, { token: (await mint(idp.app, native.refresh_token)).body.access_token, prompt: 'none' });
    expect((await redeem()).kind).toBe('code');
    expect((await redeem()).kind).toBe('code');
    expect(await redeem()).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'lineage_full', grantId: expect.any(String) });
  });

  it('counts a web grant whose tokens outlive the session, and issues nothing when it does not fit', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'bounds-lineage-grant:', maxLineagePerGrant: 1 }, { rotateRefreshToken: false });
    const native = await nativeLogin(idp.app);
    // The session takes the one place; the offline-web grant, which a cascade must reach, finds none.
    const token = (await mint(idp.app, native.refresh_token)).body.access_token;
    expect(await authorize(request.agent(idp.app), idp.provider, { clientId: 'offline-web', token, prompt: 'none' }))
      .toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

describe('a cascade over a large lineage', () => {
  it('ends every session it spawned', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'bounds-cascade:', maxTokensPerGrant: 1000 }, { rotateRefreshToken: false });
    const native = await nativeLogin(idp.app);
    const browsers = await Promise.all(Array.from({ length: 120 }, async () => {
      const browser = request.agent(idp.app);
      expect((await authorize(browser, idp.provider, { token: (await mint(idp.app, native.refresh_token)).body.access_token })).kind).toBe('code');
      return browser;
    }));
    const revoked = await request(idp.app).post('/token/revocation').type('form').send({ client_id: 'example-native', token: native.refresh_token });
    expect(revoked.status).toBe(200);
    const after = await Promise.all(browsers.map((browser) => authorize(browser, idp.provider, { prompt: 'none' })));
    expect(after.filter((outcome) => outcome.kind === 'code')).toEqual([]);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { storedRecord, tokenKey } from '../helpers/stored-token.js';
import type { IssuedEvent, IssueFailedEvent } from '../../lib/index.js';
import { AUDIENCE, EXCHANGE, redisClient, RT_TYPE, STT_TYPE, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { authorize } from '../helpers/web-login.js';

const PREFIX = 'mint-test:';
const redis = redisClient();
const { app, provider, transfer } = testIdentityProvider({ redis, keyPrefix: PREFIX });
const issued: IssuedEvent[] = [];
const failed: IssueFailedEvent[] = [];
transfer.on('issued', (event) => issued.push(event));
transfer.on('issue_failed', (event) => failed.push(event));

const auth0Json = (refreshToken: string, extra: Record<string, unknown> = {}) => request(app).post('/token')
  .set('content-type', 'application/json')
  .send(JSON.stringify({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken, audience: AUDIENCE, ...extra }));

const exchange = (refreshToken: string, extra: Record<string, string | string[]> = {}) => request(app).post('/token')
  .type('form')
  .send({
    grant_type: EXCHANGE,
    client_id: 'example-native',
    subject_token: refreshToken,
    subject_token_type: RT_TYPE,
    requested_token_type: STT_TYPE,
    ...extra,
  });

beforeAll(async () => {
  await redis.ping();
});

afterAll(async () => {
  await redis.quit();
});

function expectTransferResponse(res: request.Response) {
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toEqual({
    access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    issued_token_type: STT_TYPE,
    token_type: 'N_A',
    expires_in: 60,
    id_token: expect.any(String),
    refresh_token: expect.any(String),
  });
  // 43 base64url characters carry 258 bits: the 32 random bytes (256 bits) it was made from.
  expect(Buffer.from(res.body.access_token, 'base64url')).toHaveLength(32);
}

describe('mint: the Auth0 request form', () => {
  it('mints from a JSON body, rotating the refresh token and returning an ID token', async () => {
    const tokens = await nativeLogin(app);
    const res = await auth0Json(tokens.refresh_token);
    expectTransferResponse(res);
    expect(res.body.refresh_token).not.toBe(tokens.refresh_token);

    const claims = JSON.parse(Buffer.from(res.body.id_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'demo', aud: 'example-native', iss: 'http://localhost:3000' });
    expect(issued.at(-1)).toMatchObject({ type: 'issued', clientId: 'example-native', accountId: 'demo', form: 'refresh_token', ip: '127.0.0.1' });
  });

  it('mints from a form-encoded body, and accepts the audience without the port', async () => {
    const tokens = await nativeLogin(app);
    const res = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token',
      client_id: 'example-native',
      refresh_token: tokens.refresh_token,
      audience: 'urn:localhost:session_transfer',
    });
    expectTransferResponse(res);
  });

  it.each(['json', 'form'] as const)('refuses another provider\'s transfer audience (%s) with invalid_target, rotating nothing', async (encoding) => {
    const tokens = await nativeLogin(app);
    const body = { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: tokens.refresh_token, audience: 'urn:id.other.example:session_transfer' };
    const post = request(app).post('/token');
    const res = encoding === 'json' ? await post.set('content-type', 'application/json').send(JSON.stringify(body)) : await post.type('form').send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_target',
      error_description: 'a session transfer token of this provider has the audience urn:localhost:3000:session_transfer or urn:localhost:session_transfer',
    });
    // The refresh token was not rotated: it still mints.
    expectTransferResponse(await exchange(tokens.refresh_token));
  });

  it('leaves a refresh_token grant without the transfer audience to oidc-provider', async () => {
    const tokens = await nativeLogin(app);
    const res = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: tokens.refresh_token,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(res.body.issued_token_type).toBeUndefined();

    // Built-in reuse detection still works: the old token again revokes the whole grant.
    const reused = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: tokens.refresh_token,
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    const after = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: res.body.refresh_token,
    });
    expect(after.body.error).toBe('invalid_grant');
  });

  it('still refuses JSON bodies for anything but the transfer', async () => {
    const tokens = await nativeLogin(app);
    const res = await request(app).post('/token').set('content-type', 'application/json')
      .send(JSON.stringify({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: tokens.refresh_token }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it.each([
    ['a refresh_token that is not a string', { refresh_token: 42 }, 'parameter refresh_token must be a string'],
    ['no refresh_token', { refresh_token: undefined }, 'missing required parameter refresh_token'],
    ['another parameter that is not a string', { scope: { openid: true } }, 'parameter scope must be a string'],
    ['a parameter repeated as an array', { scope: ['openid', 'email'] }, 'parameter scope must not be provided twice'],
  ])('answers invalid_request for %s', async (_name, extra, description) => {
    const res = await auth0Json('x', extra);
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('answers invalid_request to a streamed body over the size limit', async () => {
    const { request: httpRequest } = await import('node:http');
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const answer = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        // Chunked, so no Content-Length announces the size: it shows only while reading.
        const req = httpRequest({ host: '127.0.0.1', port, path: '/token', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
          let body = '';
          res.on('data', (chunk) => { body += chunk; });
          res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('error', reject);
        req.write(`grant_type=refresh_token&audience=${encodeURIComponent(AUDIENCE)}&refresh_token=`);
        req.end('x'.repeat(60 * 1024));
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ error: 'invalid_request', error_description: 'request body is too large' });
    } finally {
      server.close();
    }
  });

  it('answers invalid_request to a repeated parameter in a form body', async () => {
    const res = await request(app).post('/token').type('form')
      .send(`grant_type=refresh_token&client_id=example-native&refresh_token=a&refresh_token=b&audience=${encodeURIComponent(AUDIENCE)}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});

describe('mint: the RFC 8693 token-exchange form', () => {
  it('mints with the exact response shape', async () => {
    const tokens = await nativeLogin(app);
    const res = await exchange(tokens.refresh_token);
    expectTransferResponse(res);
    expect(issued.at(-1)).toMatchObject({ form: 'token_exchange' });
  });

  it('returns no refresh_token when the provider does not rotate, and the old one stays valid', async () => {
    const fixed = testIdentityProvider({ redis, keyPrefix: PREFIX }, { rotateRefreshToken: false });
    const tokens = await nativeLogin(fixed.app);
    const res = await request(fixed.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: tokens.refresh_token, audience: AUDIENCE,
    });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.id_token).toEqual(expect.any(String));
    const again = await request(fixed.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: tokens.refresh_token, audience: AUDIENCE,
    });
    expect(again.status).toBe(200);
  });

  it('records the web clients named by audience and resource', async () => {
    const tokens = await nativeLogin(app);
    const res = await exchange(tokens.refresh_token, { audience: 'example-web' });
    expect(res.status).toBe(200);
    const record = await storedRecord(redis, PREFIX, res.body.access_token);
    expect(record).toMatchObject({ audience: ['example-web'], accountId: 'demo', clientId: 'example-native' });
  });

  it.each([
    ['an unknown client', { audience: 'nobody' }],
    ['a client that accepts no transfer', { audience: 'closed-web' }],
    ['an unknown resource', { resource: 'https://nowhere.example' }],
  ])('answers invalid_target for %s', async (_name, extra) => {
    const tokens = await nativeLogin(app);
    const res = await exchange(tokens.refresh_token, extra);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
    expect(failed.at(-1)).toMatchObject({ reason: 'invalid_target', error: 'invalid_target', accountId: 'demo' });
    // Nothing was issued, nothing rotated: the refresh token still works.
    expect((await exchange(tokens.refresh_token)).status).toBe(200);
  });

  it.each([
    ['a wrong subject_token_type', { subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }],
    ['a wrong requested_token_type', { requested_token_type: 'urn:ietf:params:oauth:token-type:access_token' }],
    ['no subject_token', { subject_token: '' }],
    ['an actor_token', { actor_token: 'x', actor_token_type: RT_TYPE }],
  ])('answers invalid_request for %s', async (_name, extra) => {
    const tokens = await nativeLogin(app);
    const res = await exchange(tokens.refresh_token, extra);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(failed.at(-1)).toMatchObject({ reason: 'invalid_request' });
  });

  it('answers invalid_scope for more scope than the refresh token has', async () => {
    const tokens = await nativeLogin(app, { scope: 'openid offline_access' });
    const res = await exchange(tokens.refresh_token, { scope: 'openid email' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });
});

describe('mint: refusals', () => {
  it('answers invalid_grant for an unknown refresh token', async () => {
    const res = await auth0Json('not-a-refresh-token');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(failed.at(-1)).toMatchObject({ reason: 'refresh_token_invalid', clientId: 'example-native' });
  });

  it("answers invalid_grant for another client's refresh token", async () => {
    const tokens = await nativeLogin(app);
    const res = await auth0Json(tokens.refresh_token, { client_id: 'second-native' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('answers unauthorized_client to a client without can_create_session_transfer_token', async () => {
    const tokens = await nativeLogin(app, { clientId: 'plain-native', redirectUri: 'com.example.plain:/callback' });
    const res = await auth0Json(tokens.refresh_token, { client_id: 'plain-native' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
    expect(failed.at(-1)).toMatchObject({ reason: 'client_not_allowed', clientId: 'plain-native' });
  });

  it('treats a rotated refresh token used again as reuse and revokes its grant', async () => {
    const tokens = await nativeLogin(app);
    const first = await auth0Json(tokens.refresh_token);
    expect(first.status).toBe(200);

    const again = await auth0Json(tokens.refresh_token);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expect(failed.at(-1)).toMatchObject({ reason: 'refresh_token_reused' });
    // The whole family is gone, including the token the first mint rotated to.
    expect((await auth0Json(first.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it("threat: reuse at the mint destroys the grant whatever the host's revokeGrantPolicy says: the policy decides, as at oidc-provider's refresh", async () => {
    const keeping = testIdentityProvider({ redis, keyPrefix: `${PREFIX}keep:` }, { revokeGrantPolicy: () => false });
    const grantAfterReuse = async (idp: { app: typeof app; provider: typeof provider }) => {
      const tokens = await nativeLogin(idp.app);
      const { grantId } = (await idp.provider.RefreshToken.find(tokens.refresh_token))!;
      const mint = (refreshToken: string) => request(idp.app).post('/token').type('form')
        .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken, audience: AUDIENCE });
      const first = await mint(tokens.refresh_token);
      expect(first.status).toBe(200);
      expect((await mint(tokens.refresh_token)).body.error).toBe('invalid_grant');
      // Every token of the grant is revoked either way: the one the first mint rotated to too.
      expect((await mint(first.body.refresh_token)).body.error).toBe('invalid_grant');
      return idp.provider.Grant.find(grantId!);
    };
    expect(await grantAfterReuse(keeping)).toBeDefined();
    expect(await grantAfterReuse({ app, provider })).toBeUndefined();
  });

  it('threat: reuse at the mint under a policy that keeps the grant leaves the transfer tokens minted before it redeemable: they are void', async () => {
    const keeping = testIdentityProvider({ redis, keyPrefix: `${PREFIX}keep-void:` }, { revokeGrantPolicy: () => false });
    const tokens = await nativeLogin(keeping.app);
    const mint = (refreshToken: string) => request(keeping.app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken, audience: AUDIENCE });
    const minted = await mint(tokens.refresh_token);
    expect(minted.status).toBe(200);
    expect((await mint(tokens.refresh_token)).body.error).toBe('invalid_grant');
    expect(await authorize(request.agent(keeping.app), keeping.provider, { token: minted.body.access_token, prompt: 'none' }))
      .toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it('refuses a refresh token born from a transfer (nested transfer), also after rotation', async () => {
    const tokens = await nativeLogin(app);
    // A refresh token of a transferred session carries the transfer amr marker.
    const original = (await provider.RefreshToken.find(tokens.refresh_token))!;
    const born = new provider.RefreshToken({
      client: (await provider.Client.find('example-native'))!,
      accountId: original.accountId,
      grantId: original.grantId!,
      gty: 'authorization_code',
      scope: original.scope!,
      amr: ['pwd', 'session_transfer'],
    });
    const value = await born.save();

    const res = await auth0Json(value);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(failed.at(-1)).toMatchObject({ reason: 'nested_transfer' });

    const refreshed = await request(app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: value });
    expect(refreshed.status).toBe(200);
    const nested = await auth0Json(refreshed.body.refresh_token);
    expect(nested.body.error).toBe('invalid_grant');
    expect(failed.at(-1)).toMatchObject({ reason: 'nested_transfer' });
  });
});

describe('mint: what reaches Redis and the events', () => {
  it('stores only the hash, with a TTL no longer than the lifetime, and no raw token anywhere', async () => {
    await redis.flushdb();
    const tokens = await nativeLogin(app);
    const res = await auth0Json(tokens.refresh_token);
    const stt: string = res.body.access_token;

    // The library's keys (oidc-provider's own, under <prefix>oidc:, are the adapter's).
    const keys = (await redis.keys(`${PREFIX}*`)).filter((key) => !key.startsWith(`${PREFIX}oidc:`)).sort();
    const grantId = (await storedRecord(redis, PREFIX, stt))!.grantId;
    // The token, and the count of tokens its grant minted in this window (maxTokensPerGrant).
    expect(keys).toEqual([`${PREFIX}issued:{${grantId}}`, tokenKey(redis, PREFIX, stt)].sort());
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    }
    expect(await redis.get(`${PREFIX}issued:{${grantId}}`)).toBe('1');

    const stored = (await redis.getBuffer(tokenKey(redis, PREFIX, stt)))!.toString('latin1');
    for (const secret of [tokens.refresh_token, res.body.refresh_token]) expect(stored).not.toContain(secret);
    expect(await storedRecord(redis, PREFIX, stt)).toMatchObject({
      accountId: 'demo',
      clientId: 'example-native',
      grantId: expect.any(String),
      scope: 'openid email',
      amr: ['pwd'],
      authTime: expect.any(Number),
      ip: '127.0.0.1',
      exp: expect.any(Number),
    });

    // The raw token is in no key and no value in all of Redis.
    for (const key of await redis.keys('*')) {
      expect(key).not.toContain(stt);
      const type = await redis.type(key);
      const value = type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key))
        : JSON.stringify(await redis.zrange(key, '0', '-1'));
      expect(value).not.toContain(stt);
    }
  });

  it('never puts a raw token in an event', async () => {
    const tokens = await nativeLogin(app);
    const ok = await auth0Json(tokens.refresh_token);
    const reused = await auth0Json(tokens.refresh_token);
    expect(reused.status).toBe(400);
    const text = JSON.stringify([issued, failed]);
    for (const secret of [ok.body.access_token, tokens.refresh_token, ok.body.refresh_token]) {
      expect(text).not.toContain(secret);
    }
  });
});

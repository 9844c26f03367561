import { afterAll, describe, expect, it } from '@jest/globals';
import Provider from 'oidc-provider';
import request from 'supertest';

import { AUTH0_ROUTES } from '../../lib/options.js';
import { MemoryStore, OptionsError, sessionTransfer } from '../../lib/index.js';
import { AUDIENCE, quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';

const redis = redisClient();
afterAll(async () => {
  await quitRedis(redis);
});

const { app } = testIdentityProvider({ redis, keyPrefix: 'auth0-compat:', auth0Compatible: true });
const json = (path: string, body: unknown) => request(app).post(path).set('content-type', 'application/json').send(JSON.stringify(body));

describe('auth0Compatible', () => {
  it("serves Auth0's endpoint paths", async () => {
    const discovery = (await request(app).get('/.well-known/openid-configuration')).body;
    expect(discovery).toMatchObject({
      authorization_endpoint: expect.stringMatching(/\/authorize$/),
      token_endpoint: expect.stringMatching(/\/oauth\/token$/),
      revocation_endpoint: expect.stringMatching(/\/oauth\/revoke$/),
      userinfo_endpoint: expect.stringMatching(/\/userinfo$/),
      jwks_uri: expect.stringMatching(/\/\.well-known\/jwks\.json$/),
      pushed_authorization_request_endpoint: expect.stringMatching(/\/oauth\/par$/),
      end_session_endpoint: expect.stringMatching(/\/v2\/logout$/),
    });
  });

  it('takes JSON for every grant, validated like a form', async () => {
    const native = await nativeLogin(app, { paths: AUTH0_ROUTES, json: true });
    const renewed = await json('/oauth/token', { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), id_token: expect.any(String) });

    const minted = await json('/oauth/token', { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: renewed.body.refresh_token, audience: AUDIENCE });
    expect(minted.body.issued_token_type).toBe('urn:auth0:params:oauth:token-type:session_transfer_token');

    // The same refusals as a form body: the spent refresh token is reuse.
    const reused = await json('/oauth/token', { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(reused.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('revokes with a JSON body', async () => {
    const native = await nativeLogin(app, { paths: AUTH0_ROUTES, json: true });
    const revoked = await json('/oauth/revoke', { client_id: 'example-native', token: native.refresh_token });
    expect(revoked.status).toBe(200);
    const after = await json('/oauth/token', { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(after.body.error).toBe('invalid_grant');
  });

  it.each([
    ['malformed JSON', '{"grant_type":', 'request body must be a JSON object'],
    ['a JSON array', '["refresh_token"]', 'request body must be a JSON object'],
    ['a number where a string goes', '{"grant_type":"refresh_token","client_id":"example-native","refresh_token":7}', 'parameter refresh_token must be a string'],
    ['an object where a string goes', '{"grant_type":{"a":1},"client_id":"example-native"}', 'parameter grant_type must be a string'],
  ])('answers invalid_request for %s, never a 500', async (_name, body, description) => {
    for (const path of ['/oauth/token', '/oauth/revoke']) {
      const res = await request(app).post(path).set('content-type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
    }
  });

  it('reads an array as a repeated parameter, which oidc-provider refuses as it refuses a repeated form field', async () => {
    const res = await json('/oauth/token', { grant_type: ['refresh_token', 'refresh_token'], client_id: 'example-native', refresh_token: 'x' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: "'grant_type' parameter must not be provided twice" });
    expect((await json('/oauth/token', { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: [] })).body)
      .toEqual({ error: 'invalid_request', error_description: 'parameter refresh_token must be a string' });
  });

  it('answers invalid_request for a JSON body over the size limit', async () => {
    const res = await json('/oauth/token', { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: 'x'.repeat(60 * 1024) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'request body is too large' });
  });

  it('still takes form bodies', async () => {
    const native = await nativeLogin(app, { paths: AUTH0_ROUTES });
    const res = await request(app).post('/oauth/token').type('form').send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(res.status).toBe(200);
  });

  it("reads Auth0's returnTo at /v2/logout as the post-logout redirect", async () => {
    const res = await request(app).get(`/v2/logout?${new URLSearchParams({ client_id: 'example-web', returnTo: 'http://localhost:3001/' })}`);
    expect(res.status).toBe(200);
    // The confirmation form carries the redirect, which oidc-provider checked against the client's.
    expect(res.text).toContain('name="xsrf"');
    const bad = await request(app).get(`/v2/logout?${new URLSearchParams({ client_id: 'example-web', returnTo: 'https://evil.example/' })}`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('post_logout_redirect_uri not registered');
  });

  it('refuses a provider configuration that sets one of those routes elsewhere, naming it', () => {
    const transfer = sessionTransfer({ store: new MemoryStore(), auth0Compatible: true });
    expect(() => transfer.configure({ routes: { token: '/token' } })).toThrow(OptionsError);
    expect(() => transfer.configure({ routes: { token: '/token' } }))
      .toThrow('options.auth0Compatible serves token at /oauth/token, but the provider configuration sets routes.token to /token');
    expect(() => new Provider('http://localhost:3000', transfer.configure({ routes: { token: '/oauth/token', code_verification: '/device' } }))).not.toThrow();
  });
});

describe('without auth0Compatible', () => {
  it('keeps the standard paths and form-only bodies', async () => {
    const standard = testIdentityProvider({ redis, keyPrefix: 'auth0-off:' });
    const discovery = (await request(standard.app).get('/.well-known/openid-configuration')).body;
    expect(discovery.token_endpoint).toMatch(/\/token$/);
    const res = await request(standard.app).post('/token').set('content-type', 'application/json')
      .send(JSON.stringify({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: 'x' }));
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain('application/x-www-form-urlencoded');
  });
});

describe('threat: an Auth0-form mint at a path the router folds runs as a plain refresh (token rotated, bearer token answered)', () => {
  const issuedType = 'urn:auth0:params:oauth:token-type:session_transfer_token';

  it.each(['/oauth/token/', '/OAUTH/TOKEN', '/OAuth/Token/'])('%s mints, as /oauth/token does', async (path) => {
    const native = await nativeLogin(app, { paths: AUTH0_ROUTES, json: true });
    const jsonMint = await json(path, { grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token, audience: AUDIENCE });
    expect(jsonMint.body.issued_token_type).toBe(issuedType);
    const formMint = await request(app).post(path).type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: jsonMint.body.refresh_token ?? native.refresh_token, audience: AUDIENCE });
    expect(formMint.body.issued_token_type).toBe(issuedType);
  });

  it('a form in another charset is read in that charset, as oidc-provider reads it', async () => {
    const native = await nativeLogin(app, { paths: AUTH0_ROUTES, json: true });
    const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token, audience: AUDIENCE });
    const res = await request(app).post('/oauth/token').set('content-type', 'application/x-www-form-urlencoded; charset=utf-16le')
      .serialize((body: unknown) => body as string).send(Buffer.from(form.toString(), 'utf16le'));
    expect(res.body.issued_token_type).toBe(issuedType);
  });
});

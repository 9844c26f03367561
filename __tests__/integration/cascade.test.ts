import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { CascadeRevokedEvent, RedeemedEvent } from '../../lib/index.js';
import { AUDIENCE, quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin, type NativeLogin } from '../helpers/native-login.js';
import { authorize, exchangeCode, type Agent } from '../helpers/web-login.js';

const redis = redisClient();
type Idp = ReturnType<typeof testIdentityProvider>;
const cascades: CascadeRevokedEvent[] = [];
const redeemed: RedeemedEvent[] = [];
function observed(idp: Idp): Idp {
  idp.transfer.on('cascade_revoked', (e) => cascades.push(e));
  idp.transfer.on('redeemed', (e) => redeemed.push(e));
  return idp;
}
const main = observed(testIdentityProvider({ redis, keyPrefix: 'cascade:' }));
const { app, provider, transfer } = main;
// A host whose refresh tokens are offline (not bound to sessions) unless the library's
// enforce_online_refresh_tokens binds those of transferred sessions.
const offline = observed(testIdentityProvider({ redis, keyPrefix: 'cascade-offline:' }, { expiresWithSession: async () => false }));

afterAll(async () => {
  await quitRedis(redis);
});

interface Chain {
  native: { refresh_token: string; agent: Agent };
  web: { agent: Agent; access_token: string; refresh_token?: string; clientId: string };
}

/** Native login → mint → redeem at a web client → its tokens. */
async function chain(webClientId = 'refresh-web', login: NativeLogin = {}, { app, provider }: Idp = main): Promise<Chain> {
  const nativeAgent = request.agent(app);
  const native = await nativeLogin(app, { ...login, agent: nativeAgent });
  const minted = await request(app).post('/token').type('form').send({
    grant_type: 'refresh_token', client_id: login.clientId ?? 'example-native', refresh_token: native.refresh_token, audience: AUDIENCE,
  });
  expect(minted.status).toBe(200);
  const webAgent = request.agent(app);
  const redeemed = await authorize(webAgent, provider, { clientId: webClientId, token: minted.body.access_token });
  if (redeemed.kind !== 'code') throw new Error(`redeem ended in ${redeemed.kind}`);
  const tokens = await exchangeCode(app, redeemed.code, webClientId);
  expect(tokens.status).toBe(200);
  return {
    native: { refresh_token: minted.body.refresh_token, agent: nativeAgent },
    web: { agent: webAgent, access_token: tokens.body.access_token, refresh_token: tokens.body.refresh_token, clientId: webClientId },
  };
}

/** Logout at the end-session endpoint, confirming the form as the user would. */
async function logout(agent: Agent, clientId: string): Promise<void> {
  const page = await agent.get(`/session/end?client_id=${clientId}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
  expect(xsrf).toEqual(expect.any(String));
  const confirmed = await agent.post('/session/end/confirm').type('form').send({ xsrf, logout: 'yes' });
  expect(confirmed.status).toBeLessThan(400);
}

/** Whether what the web client holds still works: its session, refresh token and access token. */
async function webAlive({ web }: Chain, { app, provider }: Idp = main) {
  const session = (await authorize(web.agent, provider, { clientId: web.clientId, prompt: 'none' })).kind === 'code';
  const refresh = web.refresh_token
    ? (await request(app).post('/token').auth(web.clientId, `${web.clientId}-secret`).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: web.refresh_token })).status === 200
    : undefined;
  const introspection = await request(app).post('/token/introspection').auth(web.clientId, `${web.clientId}-secret`).type('form')
    .send({ token: web.access_token });
  return { session, refresh, accessToken: introspection.body.active as boolean };
}

describe('cascade from the native refresh token', () => {
  it('revocation endpoint: the web session, refresh token and access token all end', async () => {
    const c = await chain();
    expect(c.web.refresh_token).toEqual(expect.any(String));
    const revoked = await request(app).post('/token/revocation').type('form')
      .send({ client_id: 'example-native', token: c.native.refresh_token });
    expect(revoked.status).toBe(200);
    expect(await webAlive(c)).toEqual({ session: false, refresh: false, accessToken: false });
    expect(cascades.at(-1)).toMatchObject({ trigger: 'revocation', sessions: 1, grants: 1 });
  });

  it('refresh-token reuse detection: the same', async () => {
    const nativeAgent = request.agent(app);
    const native = await nativeLogin(app, { agent: nativeAgent });
    const minted = await request(app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token, audience: AUDIENCE,
    });
    const webAgent = request.agent(app);
    const redeemed = await authorize(webAgent, provider, { clientId: 'refresh-web', token: minted.body.access_token });
    if (redeemed.kind !== 'code') throw new Error(redeemed.kind);
    const tokens = await exchangeCode(app, redeemed.code, 'refresh-web');
    const c: Chain = {
      native: { refresh_token: minted.body.refresh_token, agent: nativeAgent },
      web: { agent: webAgent, access_token: tokens.body.access_token, refresh_token: tokens.body.refresh_token, clientId: 'refresh-web' },
    };
    // The mint rotated the native token: presenting the old one again is reuse.
    const reused = await request(app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(reused.body.error).toBe('invalid_grant');
    expect(await webAlive(c)).toEqual({ session: false, refresh: false, accessToken: false });
    expect(cascades.at(-1)).toMatchObject({ trigger: 'refresh_token_reuse', sessions: 1 });
  });

  it('logout at the end-session endpoint: the same', async () => {
    const c = await chain();
    await logout(c.native.agent, 'example-native');
    expect(await webAlive(c)).toEqual({ session: false, refresh: false, accessToken: false });
    expect(cascades.at(-1)).toMatchObject({ trigger: 'logout', sessions: 1 });
  });

  it("the library's revokeGrant(): the same", async () => {
    const c = await chain();
    const { grantId } = (await provider.RefreshToken.find(c.native.refresh_token))!;
    await transfer.revokeGrant(grantId!);
    expect(await webAlive(c)).toEqual({ session: false, refresh: false, accessToken: false });
    expect(cascades.at(-1)).toMatchObject({ trigger: 'api', grantId, sessions: 1 });
    expect((await request(app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: c.native.refresh_token })).body.error).toBe('invalid_grant');
  });

  it('reaches web grants whose session already ended', async () => {
    const c = await chain('offline-web', {}, offline);
    await (await offline.provider.Session.findByUid(redeemed.at(-1)!.sessionUid))!.destroy();
    // An offline refresh token outlives its session...
    expect((await webAlive(c, offline)).refresh).toBe(true);
    await request(offline.app).post('/token/revocation').type('form').send({ client_id: 'example-native', token: c.native.refresh_token });
    // ...but not the cascade.
    expect(await webAlive(c, offline)).toEqual({ session: false, refresh: false, accessToken: false });
    expect(cascades.at(-1)).toMatchObject({ sessions: 0, grants: 1 });
  });

  it('leaves the web side alone when the native client has enforce_cascade_revocation false', async () => {
    const c = await chain('refresh-web', { clientId: 'nocascade-native', redirectUri: 'com.example.nocascade:/callback' });
    await request(app).post('/token/revocation').type('form').send({ client_id: 'nocascade-native', token: c.native.refresh_token });
    expect(await webAlive(c)).toEqual({ session: true, refresh: true, accessToken: true });
  });
});

describe('the web side on its own', () => {
  it('online refresh tokens end with their session', async () => {
    const c = await chain('refresh-web');
    await logout(c.web.agent, 'refresh-web');
    const { refresh, session } = await webAlive(c);
    expect({ refresh, session }).toEqual({ refresh: false, session: false });
  });

  it('offline refresh tokens (enforce_online_refresh_tokens false) outlive a logout', async () => {
    const c = await chain('offline-web', {}, offline);
    await logout(c.web.agent, 'offline-web');
    expect(await webAlive(c, offline)).toMatchObject({ session: false, refresh: true });
  });
});

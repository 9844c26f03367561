import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type Provider from 'oidc-provider';
import request from 'supertest';

import type { ExampleIdentityProvider } from '../../examples/idp/app.js';
import type { SessionRevokedEvent } from '../../lib/index.js';
import { stepUpIn } from '../../lib/redeem/step-up.js';
import { ISSUER, quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import {
  authorize, exchangeCode, idTokenClaims, mintToken, redirectUriOf, type Agent,
} from '../helpers/web-login.js';

const redis = redisClient();
/** A provider that knows an MFA acr and takes the claims parameter, as a host asking for step-up would. */
const stepUpConfiguration = {
  acrValues: ['urn:mfa'],
  features: {
    devInteractions: { enabled: false }, revocation: { enabled: true }, introspection: { enabled: true }, claimsParameter: { enabled: true },
  },
};
const main = testIdentityProvider({ redis, keyPrefix: 'step-up:' }, stepUpConfiguration);
// Transferred sessions that end after one idle second.
const idle = testIdentityProvider({ redis, keyPrefix: 'step-up-idle:', onRedeem: () => ({ sessionIdleLifetime: 1 }) }, stepUpConfiguration);
const revoked: SessionRevokedEvent[] = [];
idle.transfer.on('session_revoked', (e) => revoked.push(e));

afterAll(async () => {
  await quitRedis(redis);
});

/**
 * The host: the example identity provider plus a step-up page that asks the transfer's user (and
 * only them: `stepUpIn` names the account) for a second factor and signs them in with MFA.
 */
function withStepUp({ app, provider }: ExampleIdentityProvider): express.Express {
  const host = express();
  host.post('/interaction/:uid/step-up', express.urlencoded({ extended: false }), (req, res, next) => {
    void (async () => {
      const stepUp = stepUpIn(await provider.interactionDetails(req, res));
      if (!stepUp || req.body?.otp !== '000000') {
        res.status(400).type('text').send('not a step-up, or a wrong code');
        return;
      }
      await provider.interactionFinished(req, res, {
        login: { accountId: stepUp.accountId, amr: ['pwd', 'otp'], acr: 'urn:mfa' },
      }, { mergeWithLastSubmission: false });
    })().catch(next);
  });
  host.use(app);
  return host;
}
const host = withStepUp(main);
const idleHost = withStepUp(idle);

/** A token minted from a native login that `max_age=1` finds too old (oidc-provider counts whole seconds). */
async function staleToken(app: express.Express) {
  const minted = await mintToken(app);
  await delay(2000);
  return minted;
}

/** Follows the redirects after an interaction, as the browser would: the code, or where it stopped. */
async function resume(agent: Agent, location: string, clientId: string): Promise<{ code?: string; res: request.Response }> {
  let next = location;
  for (let step = 0; step < 4; step += 1) {
    const res = await agent.get(new URL(next, ISSUER).pathname);
    next = res.headers.location ?? '';
    if (next.startsWith(redirectUriOf(clientId))) return { code: new URL(next).searchParams.get('code') ?? undefined, res };
    if (res.status !== 303 || next.includes('/interaction/')) return { res };
  }
  throw new Error('no end to the redirects');
}

/** The transfer's login prompt, stepped up on the host's page; the web client's tokens. */
async function stepUp(agent: Agent, uid: string, clientId: string) {
  const finished = await agent.post(`/interaction/${uid}/step-up`).type('form').send({ otp: '000000' });
  expect(finished.status).toBe(303);
  const { code } = await resume(agent, finished.headers.location!, clientId);
  if (!code) throw new Error('the step-up did not end in a code');
  const tokens = await exchangeCode(host, code, clientId);
  expect(tokens.status).toBe(200);
  return tokens.body as { id_token: string; access_token: string; refresh_token?: string };
}

/** Whether what the web client holds still works: its session, refresh token and access token. */
async function webAlive(agent: Agent, provider: Provider, clientId: string, tokens: { access_token: string; refresh_token?: string }) {
  const session = (await authorize(agent, provider, { clientId, prompt: 'none' })).kind === 'code';
  const refresh = tokens.refresh_token
    ? (await request(host).post('/token').auth(clientId, `${clientId}-secret`).type('form')
      .send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status === 200
    : undefined;
  const introspection = await request(host).post('/token/introspection').auth(clientId, `${clientId}-secret`).type('form')
    .send({ token: tokens.access_token });
  return { session, refresh, accessToken: introspection.body.active as boolean };
}

describe('step-up during a transfer', () => {
  const { provider, transfer } = main;

  it('max_age older than the native login: the login prompt for the token\'s user; the stepped-up session keeps the lineage (cascade)', async () => {
    const { token, native } = await staleToken(host);
    const agent = request.agent(host);
    const prompt = await authorize(agent, provider, { clientId: 'refresh-web', token, maxAge: 1 });
    if (prompt.kind !== 'interaction') throw new Error(prompt.kind);
    expect(prompt).toMatchObject({ prompt: 'login', reasons: ['max_age'] });
    expect(stepUpIn((await provider.Interaction.find(prompt.uid))!)).toEqual({ accountId: 'demo', reasons: ['max_age'] });

    // Two seconds after the native login: auth_time is the step-up's, max_age is met.
    const steppedUpAt = Math.floor(Date.now() / 1000);
    const tokens = await stepUp(agent, prompt.uid, 'refresh-web');
    const claims = idTokenClaims(tokens.id_token);
    expect(claims).toMatchObject({ sub: 'demo', amr: ['pwd', 'otp', 'session_transfer'] });
    expect(claims.auth_time).toBeGreaterThanOrEqual(steppedUpAt);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await webAlive(agent, provider, 'refresh-web', tokens)).toEqual({ session: true, refresh: true, accessToken: true });

    // The native app signs out everywhere: the stepped-up session ends with what it issued.
    const { grantId } = (await provider.RefreshToken.find(native.refresh_token))!;
    await transfer.revokeGrant(grantId!);
    expect(await webAlive(agent, provider, 'refresh-web', tokens)).toEqual({ session: false, refresh: false, accessToken: false });
  });

  it("step-up shown for the token's user only: another account's login answers a logout confirmation, and never joins the transfer", async () => {
    const { token, native } = await staleToken(host);
    const agent = request.agent(host);
    const prompt = await authorize(agent, provider, { token, maxAge: 1 });
    if (prompt.kind !== 'interaction') throw new Error(prompt.kind);
    expect(stepUpIn((await provider.Interaction.find(prompt.uid))!)).toMatchObject({ accountId: 'demo' });

    // Someone else signs in on the ordinary login form of this prompt.
    const login = await agent.post(`/interaction/${prompt.uid}/login`).type('form').send({ login: 'other@example.com', password: 'other' });
    expect(login.status).toBe(303);
    const refused = await resume(agent, login.headers.location!, 'example-web');
    expect(refused.code).toBeUndefined();
    expect(refused.res.text).toContain('/session/end/confirm');
    // The browser is still the token's user, signed in from the transfer.
    const still = await authorize(agent, provider, { prompt: 'none' });
    if (still.kind !== 'code') throw new Error(still.kind);
    expect(idTokenClaims((await exchangeCode(host, still.code)).body.id_token)).toMatchObject({ sub: 'demo', amr: ['pwd', 'session_transfer'] });

    // Confirming the logout ends the transfer's session; the other account's login that follows
    // is its own, with no transfer in its amr and nothing of the transfer's lineage.
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(refused.res.text)?.[1];
    const loggedOut = await agent.post('/session/end/confirm').type('form').send({ xsrf, logout: 'yes' });
    const consent = await resume(agent, loggedOut.headers.location!, 'example-web');
    const uid = /\/interaction\/([^/?]+)/.exec(consent.res.headers.location ?? '')?.[1];
    const confirmed = await agent.post(`/interaction/${uid}/confirm`).type('form').send({});
    const { code } = await resume(agent, confirmed.headers.location!, 'example-web');
    if (!code) throw new Error('no code after the logout');
    expect(idTokenClaims((await exchangeCode(host, code)).body.id_token)).toMatchObject({ sub: 'other', amr: ['pwd'] });
    const { grantId } = (await provider.RefreshToken.find(native.refresh_token))!;
    await transfer.revokeGrant(grantId!);
    expect((await authorize(agent, provider, { prompt: 'none' })).kind).toBe('code');
  });

  it('an essential acr the native login does not meet: the login prompt, not a silent sign-in', async () => {
    const { token } = await mintToken(host);
    const agent = request.agent(host);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:mfa'] } } });
    const silent = await authorize(agent, provider, { token, prompt: 'none', extra: { claims } });
    expect(silent).toMatchObject({ kind: 'error', error: 'login_required' });

    const { token: second } = await mintToken(host);
    const prompt = await authorize(agent, provider, { token: second, extra: { claims } });
    if (prompt.kind !== 'interaction') throw new Error(prompt.kind);
    expect(stepUpIn((await provider.Interaction.find(prompt.uid))!)).toEqual({ accountId: 'demo', reasons: ['essential_acrs'] });
    const tokens = await stepUp(agent, prompt.uid, 'example-web');
    expect(idTokenClaims(tokens.id_token)).toMatchObject({ sub: 'demo', acr: 'urn:mfa', amr: ['pwd', 'otp', 'session_transfer'] });
  });

  it('a plain acr_values is voluntary (as oidc-provider judges it): the transfer signs in with the native acr', async () => {
    const { token } = await mintToken(host);
    const result = await authorize(request.agent(host), provider, { token, prompt: 'none', extra: { acr_values: 'urn:mfa' } });
    if (result.kind !== 'code') throw new Error(result.kind);
    expect(idTokenClaims((await exchangeCode(host, result.code)).body.id_token).acr).toBeUndefined();
  });

  it("the web client's refresh-token rule still applies after the step-up (allow_refresh_token false)", async () => {
    const { token } = await staleToken(host);
    const agent = request.agent(host);
    const prompt = await authorize(agent, provider, { token, maxAge: 1, scope: 'openid email' });
    if (prompt.kind !== 'interaction') throw new Error(prompt.kind);
    const tokens = await stepUp(agent, prompt.uid, 'example-web');
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('a step-up after the native grant was revoked signs nothing in', async () => {
    const { token, native } = await staleToken(host);
    const agent = request.agent(host);
    const prompt = await authorize(agent, provider, { token, maxAge: 1 });
    if (prompt.kind !== 'interaction') throw new Error(prompt.kind);
    const { grantId } = (await provider.RefreshToken.find(native.refresh_token))!;
    await transfer.revokeGrant(grantId!);
    // Once the cascade destroyed the session, its interaction is refused. (A session it has not
    // destroyed yet has no record any more: the next test's path.)
    await transfer.settled();

    const finished = await agent.post(`/interaction/${prompt.uid}/step-up`).type('form').send({ otp: '000000' });
    expect(finished.status).toBe(400);
    expect(await authorize(agent, provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it("a step-up after the transferred session's idle lifetime ran out ends the session instead of reviving it", async () => {
    const { token } = await staleToken(idleHost);
    const agent = request.agent(idleHost);
    const prompt = await authorize(agent, idle.provider, { token, maxAge: 1 });
    if (prompt.kind !== 'interaction') throw new Error(prompt.kind);
    await delay(2000);

    const finished = await agent.post(`/interaction/${prompt.uid}/step-up`).type('form').send({ otp: '000000' });
    expect(finished.status).toBe(303);
    const after = await resume(agent, finished.headers.location!, 'example-web');
    expect(after.code).toBeUndefined();
    expect(revoked.at(-1)).toMatchObject({ accountId: 'demo', reason: 'idle_expired' });
    expect(await authorize(agent, idle.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });
});

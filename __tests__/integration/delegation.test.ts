import { afterAll, describe, expect, it } from '@jest/globals';
import type { ClientMetadata } from 'oidc-provider';
import request from 'supertest';

import { createIdentityProvider } from '../../examples/idp/app.js';
import {
  redisAdapter, type DelegatedCodeExchangeEvent, type DelegationSubjectContext, type IssuedEvent, type IssueFailedEvent, type RedeemedEvent,
  type RedeemHookContext, type RejectedEvent,
} from '../../lib/index.js';
import { AUDIENCE, EXCHANGE, ISSUER, quitRedis, redisClient, settledBeforeQuit, STT_TYPE, webTestClient } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { authorize, browserLogin, exchangeCode, idTokenClaims } from '../helpers/web-login.js';

const TICKET_TYPE = 'urn:example:support-ticket';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** A console whose ID tokens are HS256 (its secret is long enough to sign with). */
const HS_CONSOLE = 'hs-console-signing-with-its-own-secret';

/** The support console: a confidential client that may mint for other users (Auth0's two settings). */
const console_: ClientMetadata = {
  client_id: 'support-console',
  client_secret: 'support-console-secret',
  redirect_uris: ['https://support-console.example/cb'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  session_transfer: { can_create_session_transfer_token: true },
};

const redis = redisClient();
const contexts: DelegationSubjectContext[] = [];
const hookContexts: RedeemHookContext[] = [];
const { app, provider, transfer } = settledBeforeQuit(createIdentityProvider({
  issuer: ISSUER,
  transfer: {
    redis,
    keyPrefix: 'delegation-test:',
    delegation: {
      subjectTokenTypes: [TICKET_TYPE],
      // The host's profile: a ticket names the user it is about; anything else is refused.
      resolveSubject(context) {
        contexts.push(context);
        return context.subjectToken.startsWith('ticket-for-') ? { accountId: context.subjectToken.slice('ticket-for-'.length) } : undefined;
      },
    },
    onRedeem(context) {
      hookContexts.push(context);
    },
  },
  clients: [
    console_,
    // A console that names the agent's device, as a backend does (auth0-forwarded-for).
    { ...console_, client_id: 'forwarding-console', client_secret: 'forwarding-console-secret', redirect_uris: ['https://forwarding-console.example/cb'], is_token_endpoint_ip_header_trusted: true },
    // A public app that may mint its own tokens, not delegated ones.
    {
      client_id: 'public-native', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['com.example.public:/callback'],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], session_transfer: { can_create_session_transfer_token: true },
    },
    // Opted in; binds nothing and allows refresh tokens on its own, which a delegated session overrides.
    webTestClient('delegated-web', {
      allowed_authentication_methods: ['query', 'cookie'], enforce_device_binding: 'none', allow_refresh_token: true,
      delegation: { allow_delegated_access: true },
    }, false),
    webTestClient('plain-web', { allowed_authentication_methods: ['query'] }),
    // A console that is also a delegation target: its delegated sessions' ID tokens carry act.
    {
      ...console_, client_id: 'self-console', client_secret: 'self-console-secret', redirect_uris: ['https://self-console.example/cb'],
      session_transfer: { can_create_session_transfer_token: true, allowed_authentication_methods: ['query'], delegation: { allow_delegated_access: true } },
    },
    // A console whose ID tokens are signed with its own secret (HS256).
    {
      ...console_, client_id: HS_CONSOLE, client_secret: `${HS_CONSOLE}-secret`, redirect_uris: [`https://${HS_CONSOLE}.example/cb`], id_token_signed_response_alg: 'HS256',
    },
    // Opted in, with hybrid responses (an ID token from the authorization endpoint).
    {
      ...webTestClient('hybrid-web', { allowed_authentication_methods: ['query'], delegation: { allow_delegated_access: true } }, false),
      response_types: ['code id_token'],
    },
    // A confidential backend that mints its own users' tokens, not delegated ones.
    { ...webTestClient('minting-backend', { can_create_session_transfer_token: true }, false) },
    // Opted in, but takes sessions from self-console only (the trust map).
    webTestClient('picky-web', { allowed_authentication_methods: ['query'], delegation: { allow_delegated_access: true }, accept_from: ['self-console'] }, false),
  ],
  configuration: {
    adapter: redisAdapter({ client: redis, prefix: 'delegation-test:oidc:' }),
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'HS256'] },
  },
}));
const issued: IssuedEvent[] = [];
const failed: IssueFailedEvent[] = [];
const redeemed: RedeemedEvent[] = [];
const rejected: RejectedEvent[] = [];
const exchanges: DelegatedCodeExchangeEvent[] = [];
transfer.on('issued', (e) => issued.push(e));
transfer.on('issue_failed', (e) => failed.push(e));
transfer.on('redeemed', (e) => redeemed.push(e));
transfer.on('rejected', (e) => rejected.push(e));
transfer.on('delegated_code_exchange', (e) => exchanges.push(e));

afterAll(async () => {
  await quitRedis(redis);
});

/** The agent (`other`) signs in to the console; its ID token is the actor. */
async function agentIdToken(clientId = 'support-console'): Promise<string> {
  const tokens = await nativeLogin(app, {
    clientId, redirectUri: `https://${clientId}.example/cb`, clientSecret: `${clientId}-secret`, login: 'other@example.com', password: 'other', scope: 'openid',
  });
  return tokens.id_token!;
}

/** A delegated mint as `@auth0/auth0-server-js` sends it (no requested_token_type). */
function mintDelegated(fields: Record<string, string | undefined>, clientId = 'support-console', headers: Record<string, string> = {}) {
  const body = Object.fromEntries(Object.entries({
    grant_type: EXCHANGE, subject_token: 'ticket-for-demo', subject_token_type: TICKET_TYPE, audience: AUDIENCE,
    actor_token_type: ID_TOKEN_TYPE, ...fields,
  }).filter(([, value]) => value !== undefined));
  return request(app).post('/token').auth(clientId, `${clientId}-secret`).set(headers).type('form').send(body);
}

async function delegatedToken(fields: Record<string, string | undefined> = {}): Promise<string> {
  const res = await mintDelegated({ actor_token: await agentIdToken(), ...fields });
  if (res.status !== 200) throw new Error(`delegated mint failed: ${res.status} ${res.text}`);
  return res.body.access_token;
}

describe('Session Delegation: the mint', () => {
  it('mints for the subject the host names, with the agent as actor, and answers as Auth0 does (no refresh token, no ID token)', async () => {
    const actor = await agentIdToken();
    const res = await mintDelegated({ actor_token: actor, scope: 'openid email', organization: 'org_1' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.any(String), issued_token_type: STT_TYPE, token_type: 'N_A', expires_in: 60 });
    expect(contexts.at(-1)).toEqual({
      subjectToken: 'ticket-for-demo', subjectTokenType: TICKET_TYPE, clientId: 'support-console', actor: { sub: 'other' },
      scope: 'openid email', organization: 'org_1', ip: expect.any(String),
    });
    expect(issued.at(-1)).toMatchObject({ logCode: 'sertft', form: 'delegation', clientId: 'support-console', accountId: 'demo', actor: { sub: 'other' } });
  });

  it('refused without actor: setactor_required', async () => {
    const res = await mintDelegated({});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('setactor_required');
    expect(failed.at(-1)).toMatchObject({ logCode: 'fertft', reason: 'actor_required' });
  });

  it('refused for a public client: session_transfer_disabled (and a public client cannot be given token_exchange)', async () => {
    const res = await request(app).post('/token').type('form').send({
      grant_type: EXCHANGE, client_id: 'public-native', subject_token: 'ticket-for-demo', subject_token_type: TICKET_TYPE,
      actor_token: await agentIdToken(), actor_token_type: ID_TOKEN_TYPE, audience: AUDIENCE,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('session_transfer_disabled');
    expect(() => createIdentityProvider({
      issuer: ISSUER, transfer: { redis, startupSummary: false },
      clients: [{ ...console_, client_id: 'bad', token_endpoint_auth_method: 'none' }],
    })).toThrow('client "bad": token_exchange.allow_any_profile_of_type cannot be set on a public client');
  });

  it('refused for a confidential client without token_exchange: session_transfer_disabled', async () => {
    const res = await request(app).post('/token').auth('minting-backend', 'minting-backend-secret').type('form').send({
      grant_type: EXCHANGE, subject_token: 'ticket-for-demo', subject_token_type: TICKET_TYPE,
      actor_token: await agentIdToken(), actor_token_type: ID_TOKEN_TYPE, audience: AUDIENCE,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('session_transfer_disabled');
  });

  it('refuses an actor token that is not an ID token issued to the minting client, or is of another client', async () => {
    const foreign = await agentIdToken('forwarding-console');
    for (const actor of ['not-a-jwt', foreign]) {
      const res = await mintDelegated({ actor_token: actor });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
    expect(failed.at(-1)).toMatchObject({ reason: 'actor_invalid' });
  });

  it('refuses an actor token expired by the library\'s clock: invalid_grant', async () => {
    // The same provider's storage, its clock two hours on: the agent's one-hour ID token is past.
    const later = settledBeforeQuit(createIdentityProvider({
      issuer: ISSUER,
      transfer: { redis, keyPrefix: 'delegation-test:', startupSummary: false, clock: () => Date.now() + 2 * 3600_000, delegation: { subjectTokenTypes: [TICKET_TYPE], resolveSubject: () => ({ accountId: 'demo' }) } },
      clients: [console_],
      configuration: { adapter: redisAdapter({ client: redis, prefix: 'delegation-test:oidc:' }) },
    }));
    const laterFailed: IssueFailedEvent[] = [];
    later.transfer.on('issue_failed', (e) => laterFailed.push(e));
    const res = await request(later.app).post('/token').auth('support-console', 'support-console-secret').type('form').send({
      grant_type: EXCHANGE, subject_token: 'ticket-for-demo', subject_token_type: TICKET_TYPE, audience: AUDIENCE,
      actor_token: await agentIdToken(), actor_token_type: ID_TOKEN_TYPE,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    expect(laterFailed.at(-1)).toMatchObject({ reason: 'actor_invalid' });
  });

  it('refuses what the host profile refuses, and a subject that is no account', async () => {
    const actor = await agentIdToken();
    for (const subject of ['forged', 'ticket-for-nobody']) {
      const res = await mintDelegated({ actor_token: actor, subject_token: subject });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(failed.at(-1)).toMatchObject({ reason: 'subject_refused', error: 'invalid_grant' });
    }
  });

  it('refuses naming a web client that does not accept delegated tokens: invalid_target', async () => {
    const res = await mintDelegated({ actor_token: await agentIdToken(), audience: 'plain-web' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_target', error_description: 'plain-web does not accept delegated session transfer tokens' });
  });
});

describe('Session Delegation: the redeem', () => {
  it('signs a fresh browser in as the subject, act in the ID and access tokens, no refresh token, a transient session of the fixed lifetime', async () => {
    const token = await delegatedToken({ scope: 'openid email offline_access' });
    const browser = request.agent(app);
    const result = await authorize(browser, provider, { clientId: 'delegated-web', token, scope: 'openid email offline_access', prompt: 'consent' });
    // prompt=consent would prompt: a delegated session never does, it answers the error instead.
    expect(result).toMatchObject({ kind: 'error', error: 'consent_required' });

    const again = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: await delegatedToken({ scope: 'openid email offline_access' }), scope: 'openid email offline_access' });
    expect(again.kind).toBe('code');
    expect(redeemed.at(-1)).toMatchObject({ logCode: 'sdel', triggeredBySessionTransferToken: true, accountId: 'demo', actor: { sub: 'other' }, outcome: 'new_session' });
    const sessionCookie = (again.res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('_session='))!;
    expect(sessionCookie).not.toMatch(/expires=|max-age=/i);
    const session = await provider.Session.findByUid(redeemed.at(-1)!.sessionUid);
    expect(session!.exp! - session!.iat!).toBeLessThanOrEqual(7200);

    const tokens = await exchangeCode(app, (again as { code: string }).code, 'delegated-web');
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).toBeUndefined();
    const claims = idTokenClaims(tokens.body.id_token);
    expect(claims).toMatchObject({ sub: 'demo', act: { sub: 'other' } });
    expect(claims.amr).toEqual(expect.arrayContaining(['session_transfer', 'session_delegation']));
    const accessToken = await provider.AccessToken.find(tokens.body.access_token);
    expect(accessToken!.extra).toMatchObject({ act: { sub: 'other' } });
    expect(exchanges.at(-1)).toMatchObject({ logCode: 'sdeleacft', clientId: 'delegated-web', accountId: 'demo', actor: { sub: 'other' } });
    expect(hookContexts.at(-1)).toMatchObject({ actor: { sub: 'other' }, session: { actor: { sub: 'other' } }, session_transfer_token: { client_id: 'support-console' } });
  });

  it('a mint without scope allows the scopes the web app asks (as Auth0), never offline access; a mint with scope limits them', async () => {
    const open = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: await delegatedToken(), scope: 'openid email profile' });
    expect(open.kind).toBe('code');
    const limited = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: await delegatedToken({ scope: 'openid' }), scope: 'openid email' });
    expect(limited).toMatchObject({ kind: 'error', error: 'consent_required' });
    // oidc-provider drops offline_access without prompt=consent; either way no refresh token.
    const offline = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: await delegatedToken(), scope: 'openid offline_access' });
    const tokens = await exchangeCode(app, (offline as { code: string }).code, 'delegated-web');
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).toBeUndefined();
  });

  it('a failed exchange of a delegated code is fdeleacft', async () => {
    const result = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: await delegatedToken(), scope: 'openid' });
    const code = (result as { code: string }).code;
    const mismatched = await exchangeCode(app, code, 'delegated-web', 'https://delegated-web.example/other');
    expect(mismatched.status).toBe(400);
    await transfer.settled();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exchanges.at(-1)).toMatchObject({ logCode: 'fdeleacft', error: 'invalid_grant', clientId: 'delegated-web', accountId: 'demo' });
  });

  it('blocked by an existing session: interaction_required, the session left as it is', async () => {
    const browser = request.agent(app);
    await browserLogin(browser, provider, 'other@example.com', 'other', 'delegated-web');
    const result = await authorize(browser, provider, { clientId: 'delegated-web', token: await delegatedToken(), scope: 'openid' });
    expect(result).toMatchObject({ kind: 'error', error: 'interaction_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'session_exists', logCode: 'w', actor: { sub: 'other' } });
    const still = await authorize(browser, provider, { clientId: 'delegated-web', prompt: 'none', scope: 'openid' });
    expect(still.kind).toBe('code');
    const claims = idTokenClaims((await exchangeCode(app, (still as { code: string }).code, 'delegated-web')).body.id_token);
    expect(claims.sub).toBe('other');
  });

  it('refused at a client without allow_delegated_access (the login prompt), and by cookie (query only)', async () => {
    const plain = await authorize(request.agent(app), provider, { clientId: 'plain-web', token: await delegatedToken(), scope: 'openid' });
    expect(plain).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'delegation_not_allowed', clientId: 'plain-web' });
    const byCookie = await authorize(request.agent(app), provider, { clientId: 'delegated-web', cookie: await delegatedToken(), scope: 'openid' });
    expect(byCookie).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'delegation_not_allowed', transport: 'cookie' });
  });

  it('held to the trust map: a web client taking sessions from another console only refuses them (not_trusted), and a mint naming it is invalid_target', async () => {
    const refused = await authorize(request.agent(app), provider, { clientId: 'picky-web', token: await delegatedToken(), scope: 'openid' });
    expect(refused).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'not_trusted', clientId: 'picky-web', issuingClientId: 'support-console' });
    const named = await mintDelegated({ actor_token: await agentIdToken(), audience: 'picky-web' });
    expect(named.status).toBe(400);
    expect(named.body).toEqual({ error: 'invalid_target', error_description: 'picky-web does not accept sessions from support-console (its session_transfer.accept_from)' });
  });

  it('bound to the agent\'s IP whatever the web client binds: another address is device_mismatch', async () => {
    const res = await mintDelegated({ actor_token: await agentIdToken('forwarding-console') }, 'forwarding-console', { 'auth0-forwarded-for': '203.0.113.7' });
    expect(res.status).toBe(200);
    const result = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: res.body.access_token, scope: 'openid' });
    expect(result).toMatchObject({ kind: 'interaction', prompt: 'login' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', binding: { rule: 'ip', expected: '203.0.113.7' } });
  });

  it('under prompt=none a refused delegated token is fdelsa, a redeemed one sdelsa', async () => {
    const ok = await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: await delegatedToken(), scope: 'openid', prompt: 'none' });
    expect(ok.kind).toBe('code');
    expect(redeemed.at(-1)).toMatchObject({ logCode: 'sdelsa' });
    const refused = await authorize(request.agent(app), provider, { clientId: 'plain-web', token: await delegatedToken(), scope: 'openid', prompt: 'none' });
    expect(refused).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ logCode: 'fdelsa', reason: 'delegation_not_allowed' });
  });
});

describe('Session Delegation: the session stays what it was opened for', () => {
  it('threat: the agent takes the delegated session to another client, asks for more scopes, or re-logs in: refused', async () => {
    const browser = request.agent(app);
    const opened = await authorize(browser, provider, { clientId: 'delegated-web', token: await delegatedToken({ scope: 'openid' }), scope: 'openid' });
    expect(opened.kind).toBe('code');
    // Another client, or the console itself (where the agent would sign in as the user).
    for (const clientId of ['plain-web', 'support-console']) {
      const elsewhere = await authorize(browser, provider, { clientId, redirectUri: clientId === 'support-console' ? 'https://support-console.example/cb' : undefined, scope: 'openid' });
      expect(elsewhere).toMatchObject({ kind: 'error', error: 'access_denied' });
    }
    // More than the token carried: no consent screen, an error.
    expect(await authorize(browser, provider, { clientId: 'delegated-web', scope: 'openid email' })).toMatchObject({ kind: 'error', error: 'consent_required' });
    // A fresh login, or a step-up, over the delegated session: no prompt, an error.
    expect(await authorize(browser, provider, { clientId: 'delegated-web', scope: 'openid', maxAge: 0 })).toMatchObject({ kind: 'error', error: 'interaction_required' });
    expect(await authorize(browser, provider, { clientId: 'delegated-web', scope: 'openid', prompt: 'login' })).toMatchObject({ kind: 'error', error: 'interaction_required' });
    // What the token carried still works, silently.
    expect((await authorize(browser, provider, { clientId: 'delegated-web', scope: 'openid' })).kind).toBe('code');
  });

  it('threat: an ID token from a delegated session (act) is the actor of a new delegation, hiding the agent: refused', async () => {
    const actor = await agentIdToken('self-console');
    const res = await request(app).post('/token').auth('self-console', 'self-console-secret').type('form').send({
      grant_type: EXCHANGE, subject_token: 'ticket-for-demo', subject_token_type: TICKET_TYPE, audience: 'self-console', actor_token: actor, actor_token_type: ID_TOKEN_TYPE,
    });
    expect(res.status).toBe(200);
    const result = await authorize(request.agent(app), provider, { clientId: 'self-console', redirectUri: 'https://self-console.example/cb', token: res.body.access_token, scope: 'openid' });
    const tokens = await exchangeCode(app, (result as { code: string }).code, 'self-console', 'https://self-console.example/cb');
    expect(idTokenClaims(tokens.body.id_token)).toMatchObject({ sub: 'demo', act: { sub: 'other' } });
    const again = await request(app).post('/token').auth('self-console', 'self-console-secret').type('form').send({
      grant_type: EXCHANGE, subject_token: 'ticket-for-other', subject_token_type: TICKET_TYPE, audience: AUDIENCE, actor_token: tokens.body.id_token, actor_token_type: ID_TOKEN_TYPE,
    });
    expect(again.status).toBe(400);
    expect(failed.at(-1)).toMatchObject({ reason: 'actor_invalid' });
  });

  it('threat: a console signing ID tokens with its own secret (HS256) forges an actor: refused', async () => {
    const res = await mintDelegated({ actor_token: await agentIdToken(HS_CONSOLE) }, HS_CONSOLE);
    expect(res.status).toBe(400);
    expect(failed.at(-1)).toMatchObject({ reason: 'actor_invalid' });
  });

  it('an ID token from the authorization endpoint (hybrid response) carries act too', async () => {
    const query = new URLSearchParams({
      client_id: 'hybrid-web', response_type: 'code id_token', redirect_uri: 'https://hybrid-web.example/cb', scope: 'openid', nonce: 'n-1',
      session_transfer_token: await delegatedToken({ audience: 'hybrid-web' }),
    });
    const res = await request(app).get(`/auth?${query}`);
    const fragment = new URLSearchParams(new URL(res.headers.location!).hash.slice(1));
    expect(idTokenClaims(fragment.get('id_token')!)).toMatchObject({ sub: 'demo', act: { sub: 'other' } });
  });
});

describe('Session Delegation: the cascade', () => {
  it('threat: the agent signed in twice; revoking one sign-in\'s grant leaves its ID token minting under the other: it does not', async () => {
    const first = await agentIdToken();
    await new Promise((resolve) => setTimeout(resolve, 1100)); // another second: another auth_time
    const second = await agentIdToken();
    expect((await mintDelegated({ actor_token: first })).status).toBe(200);
    const firstGrant = issued.at(-1)!.grantId;
    expect((await mintDelegated({ actor_token: second })).status).toBe(200);
    expect(issued.at(-1)!.grantId).not.toBe(firstGrant);
    await transfer.revokeGrant(firstGrant);
    await transfer.settled();
    expect((await mintDelegated({ actor_token: first })).status).toBe(400);
    expect((await mintDelegated({ actor_token: second })).status).toBe(200);
  });

  it('revoking the actor\'s grant ends the delegated sessions and their tokens, and voids its outstanding delegated tokens', async () => {
    const actor = await agentIdToken();
    const first = await mintDelegated({ actor_token: actor });
    const actorGrant = issued.at(-1)!.grantId;
    const outstanding = (await mintDelegated({ actor_token: actor })).body.access_token as string;
    const browser = request.agent(app);
    const result = await authorize(browser, provider, { clientId: 'delegated-web', token: first.body.access_token, scope: 'openid' });
    const tokens = await exchangeCode(app, (result as { code: string }).code, 'delegated-web');
    expect(await provider.AccessToken.find(tokens.body.access_token)).toBeDefined();

    await transfer.revokeGrant(actorGrant);
    await transfer.settled();
    expect(await provider.AccessToken.find(tokens.body.access_token)).toBeUndefined();
    expect(await authorize(browser, provider, { clientId: 'delegated-web', prompt: 'none', scope: 'openid' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(await authorize(request.agent(app), provider, { clientId: 'delegated-web', token: outstanding, scope: 'openid' })).toMatchObject({ kind: 'interaction' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'parent_revoked' });
    // An agent whose grant ended cannot mint with the ID token it still holds.
    const again = await mintDelegated({ actor_token: actor });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });
});

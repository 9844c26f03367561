/**
 * Threat: login CSRF. An attacker mints a token for their own account and gets a victim on the
 * same network to open `…/login?session_transfer_token=…`: the victim would be signed in as the
 * attacker. With `confirm_query_transfers`, a query-delivered transfer into a browser with no
 * session waits for the user to confirm who they become ("Continue as …?").
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { CONFIRMATION_REASON, type RedeemedEvent, type RejectedEvent } from '../../lib/index.js';
import { quitRedis, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { authorize, exchangeCode, idTokenClaims, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await quitRedis(redis);
});

describe('confirm_query_transfers', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'login-csrf:' });
  const redeemed: RedeemedEvent[] = [];
  idp.transfer.on('redeemed', (event) => redeemed.push(event));
  const clientId = 'confirming-web';

  it('asks the user to confirm, then signs in as the transfer\'s user on a same-browser POST', async () => {
    const browser = request.agent(idp.app);
    const { token, native } = await mintToken(idp.app);
    const asked = await authorize(browser, idp.provider, { clientId, token });
    expect(asked).toMatchObject({ kind: 'interaction', prompt: 'login', reasons: expect.arrayContaining([CONFIRMATION_REASON]) });
    expect(redeemed.at(-1)).toMatchObject({ clientId, outcome: 'confirmation_required' });
    if (asked.kind !== 'interaction') throw new Error(asked.kind);

    // The page names who the user would become; the example renders it.
    const page = await browser.get(`/interaction/${asked.uid}`);
    expect(page.text).toContain('Continue as demo@example.com?');
    expect(idp.transfer.pendingConfirmation(await idp.provider.Interaction.find(asked.uid) as never))
      .toEqual({ accountId: 'demo', clientId, issuingClientId: 'example-native' });

    // Another browser (another site's form post carries no interaction cookie) cannot confirm.
    expect((await request(idp.app).post(`/interaction/${asked.uid}/transfer`)).status).toBeGreaterThanOrEqual(400);

    const confirmed = await browser.post(`/interaction/${asked.uid}/transfer`);
    expect(confirmed.status).toBe(303);
    const resumed = await browser.get(new URL(confirmed.headers.location!, 'http://localhost:3000').pathname);
    const code = new URL(resumed.headers.location!).searchParams.get('code')!;
    const tokens = await exchangeCode(idp.app, code, clientId);
    expect(idTokenClaims(tokens.body.id_token)).toMatchObject({ sub: 'demo', amr: ['pwd', 'session_transfer'] });
    // A first-party client: no consent screen after the confirmation either.
    expect(tokens.body.scope).toBe('openid email');

    // The confirmed session is the one recorded: it lives on, and the cascade reaches it.
    expect((await authorize(browser, idp.provider, { clientId, prompt: 'none' })).kind).toBe('code');
    await request(idp.app).post('/token/revocation').type('form').send({ client_id: 'example-native', token: native.refresh_token });
    expect(await authorize(browser, idp.provider, { clientId, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it('looks at the parent again on confirmation: revoked meanwhile, the browser is not signed in', async () => {
    const rejected: RejectedEvent[] = [];
    idp.transfer.on('rejected', (event) => rejected.push(event));
    const browser = request.agent(idp.app);
    const { token, native } = await mintToken(idp.app);
    const asked = await authorize(browser, idp.provider, { clientId, token });
    if (asked.kind !== 'interaction') throw new Error(asked.kind);
    await request(idp.app).post('/token/revocation').type('form').send({ client_id: 'example-native', token: native.refresh_token });

    const confirmed = await browser.post(`/interaction/${asked.uid}/transfer`);
    const resumed = await browser.get(new URL(confirmed.headers.location!, 'http://localhost:3000').pathname);
    expect(resumed.headers.location).toMatch(/^\/interaction\//);
    expect(rejected.at(-1)).toMatchObject({ reason: 'parent_revoked', clientId });
    expect(await authorize(browser, idp.provider, { clientId, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it('answers interaction_required under prompt=none', async () => {
    const { token } = await mintToken(idp.app);
    expect(await authorize(request.agent(idp.app), idp.provider, { clientId, token, prompt: 'none' }))
      .toMatchObject({ kind: 'error', error: 'interaction_required' });
  });

  it('lets the user decline: the interaction is an ordinary login prompt', async () => {
    const browser = request.agent(idp.app);
    const { token } = await mintToken(idp.app);
    const asked = await authorize(browser, idp.provider, { clientId, token });
    if (asked.kind !== 'interaction') throw new Error(asked.kind);
    const login = await browser.get(`/interaction/${asked.uid}?signin`);
    expect(login.text).toContain('name="password"');
  });

  it('asks nothing for a cookie-delivered token (the native app set it), nor at a client without the setting', async () => {
    const { token } = await mintToken(idp.app);
    expect((await authorize(request.agent(idp.app), idp.provider, { clientId, cookie: token })).kind).toBe('code');
    const other = await mintToken(idp.app);
    expect((await authorize(request.agent(idp.app), idp.provider, { clientId: 'query-web', token: other.token })).kind).toBe('code');
  });
});

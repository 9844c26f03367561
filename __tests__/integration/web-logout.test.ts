import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { CascadeRevokedEvent } from '../../lib/index.js';
import { AUDIENCE, quitRedis, redisClient, webTestClient } from '../helpers/idp.js';
import { deviceLogin, exchange, nativeSsoProvider, refresh } from '../helpers/native-sso.js';
import { authorize, mintToken, type Agent } from '../helpers/web-login.js';

/**
 * "Sign out everywhere" from the web: a web client with session_transfer.logout_native ends the
 * native side of a transferred session when the user logs out there; without it, only the web.
 */
const redis = redisClient();
const { app, provider, transfer } = nativeSsoProvider({ redis, keyPrefix: 'web-logout:' }, [
  webTestClient('logout-web', { allowed_authentication_methods: ['query'], logout_native: true }),
]);
const cascades: CascadeRevokedEvent[] = [];
transfer.on('cascade_revoked', (e) => cascades.push(e));
afterAll(() => quitRedis(redis));

/** A browser signed in to `clientId` by `token`. */
async function webSession(token: string, clientId: string): Promise<Agent> {
  const agent = request.agent(app);
  expect((await authorize(agent, provider, { clientId, token })).kind).toBe('code');
  return agent;
}

/** Logout at the end-session endpoint from `clientId`, confirmed as the user would, or declined ("stay signed in"). */
async function logout(agent: Agent, clientId: string, confirmed = true): Promise<void> {
  const page = await agent.get(`/session/end?client_id=${clientId}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
  expect((await agent.post('/session/end/confirm').type('form').send({ xsrf, ...(confirmed ? { logout: 'yes' } : {}) })).status).toBe(303);
}

describe('a web logout', () => {
  it('from a client with logout_native signs the native app out too, once the user confirms; from another, only the web', async () => {
    const kept = await mintToken(app);
    await logout(await webSession(kept.token, 'query-web'), 'query-web');
    expect((await refresh(app, 'example-native', kept.native.refresh_token)).status).toBe(200);

    const declined = await mintToken(app);
    await logout(await webSession(declined.token, 'logout-web'), 'logout-web', false);
    expect((await refresh(app, 'example-native', declined.native.refresh_token)).status).toBe(200);

    const ended = await mintToken(app);
    await logout(await webSession(ended.token, 'logout-web'), 'logout-web');
    expect((await refresh(app, 'example-native', ended.native.refresh_token)).body.error).toBe('invalid_grant');
    expect(cascades.at(-1)).toMatchObject({ trigger: 'logout' });
  });

  it('of a session from a Native SSO app signs out every app of its device session', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const minted = await refresh(app, 'sso-second', second.refresh_token, { audience: AUDIENCE });
    await logout(await webSession(minted.body.access_token, 'logout-web'), 'logout-web');
    expect((await refresh(app, 'sso-first', first.refresh_token)).body.error).toBe('invalid_grant');
    expect((await exchange(app, 'sso-second', first)).body.error).toBe('invalid_grant');
    expect(cascades.some((e) => e.trigger === 'device_logout')).toBe(true);
  });
});

import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { NativeSsoEvent } from '../../lib/index.js';
import { quitRedis, redisClient } from '../helpers/idp.js';
import { deviceLogin, exchange, LEGACY_DEVICE_SECRET_TYPE, nativeSsoProvider } from '../helpers/native-sso.js';
import { idTokenClaims } from '../helpers/web-login.js';
import { dsHash } from '../../lib/native-sso/device-secret.js';

/** OpenID Connect Native SSO 1.0: a device secret at sign-in, and a second app signed in by exchange. */
const redis = redisClient();
const { app, transfer } = nativeSsoProvider({ redis, keyPrefix: 'native-sso:' });
const events: NativeSsoEvent[] = [];
transfer.on('native_sso', (e) => events.push(e));
beforeEach(() => {
  events.length = 0;
});
afterAll(() => quitRedis(redis));

describe('the first app', () => {
  it('gets a device secret with its tokens, its ID token naming it (ds_hash) and the device session (sid)', async () => {
    const first = await deviceLogin(app, 'sso-first');
    expect(first.device_secret).toMatch(/^[\w-]+\.[\w-]{43}$/);
    const claims = idTokenClaims(first.id_token!);
    expect(claims.ds_hash).toBe(dsHash(first.device_secret!));
    expect(claims.sid).toBe(first.device_secret!.split('.')[0]);
    expect(events.map((e) => e.outcome)).toEqual(['started']);
  });

  it('gets none without the device_sso scope', async () => {
    const first = await deviceLogin(app, 'sso-first', 'openid offline_access email');
    expect(first.device_secret).toBeUndefined();
    expect(idTokenClaims(first.id_token!).ds_hash).toBeUndefined();
  });

  it('is advertised in discovery', async () => {
    expect((await request(app).get('/.well-known/openid-configuration')).body).toMatchObject({ native_sso_supported: true });
  });
});

describe('the second app', () => {
  it('signs in with no browser: its own tokens, for the same user and device session', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const res = await exchange(app, 'sso-second', first);
    expect(res.body.error_description).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer' });
    const claims = idTokenClaims(res.body.id_token);
    const firstClaims = idTokenClaims(first.id_token!);
    expect(claims).toMatchObject({ aud: 'sso-second', sub: firstClaims.sub, sid: firstClaims.sid, ds_hash: firstClaims.ds_hash });
    expect(claims.nonce).toBeUndefined();
    const userinfo = await request(app).get('/me').auth(res.body.access_token, { type: 'bearer' });
    expect(userinfo.status).toBe(200);
    expect(userinfo.body.sub).toBe(firstClaims.sub);
    // Its refresh token is its own, and its refreshed ID token stays in the device session.
    const refreshed = await request(app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'sso-second', refresh_token: res.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(idTokenClaims(refreshed.body.id_token)).toMatchObject({ sid: firstClaims.sid });
    expect(events.map((e) => e.outcome)).toEqual(['started', 'exchanged']);
  });

  it('accepts the device-secret type Okta\'s and Authgear\'s SDKs send', async () => {
    const first = await deviceLogin(app, 'sso-first');
    expect((await exchange(app, 'sso-second', first, { actor_token_type: LEGACY_DEVICE_SECRET_TYPE })).status).toBe(200);
  });
});

describe('refusals', () => {
  it('answers each with the OAuth error the spec or RFC 8693 names', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const other = await deviceLogin(app, 'sso-first');
    const cases: [Record<string, string | undefined>, number, string][] = [
      [{ actor_token: `${first.device_secret!.split('.')[0]}.${'A'.repeat(43)}` }, 400, 'invalid_request'],
      [{ actor_token: `nosuchsession.${'A'.repeat(43)}` }, 400, 'invalid_grant'],
      [{ actor_token: 'not-a-device-secret' }, 400, 'invalid_request'],
      [{ subject_token: other.id_token }, 400, 'invalid_request'],
      [{ subject_token: `${first.id_token!.slice(0, -4)}AAAA` }, 400, 'invalid_request'],
      [{ audience: undefined }, 400, 'invalid_request'],
      [{ audience: 'https://elsewhere.example' }, 400, 'invalid_target'],
      [{ scope: 'openid profile' }, 400, 'interaction_required'],
      [{ scope: 'email' }, 400, 'invalid_request'],
      [{ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 400, 'invalid_request'],
    ];
    for (const [overrides, status, error] of cases) {
      const res = await exchange(app, 'sso-second', first, overrides);
      expect({ overrides, status: res.status, error: res.body.error }).toEqual({ overrides, status, error });
    }
    const plain = await exchange(app, 'plain-native', first);
    expect(plain.body.error).toBe('unauthorized_client');
  });
});

describe('device logout', () => {
  it('revoking the device secret signs out both apps', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const revoked = await request(app).post('/token/revocation').type('form')
      .send({ client_id: 'sso-second', token: first.device_secret, token_type_hint: 'device_secret' });
    expect(revoked.status).toBe(200);
    for (const [clientId, refreshToken] of [['sso-first', first.refresh_token], ['sso-second', second.refresh_token]]) {
      const res = await request(app).post('/token').type('form').send({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });
      expect({ clientId, error: res.body.error }).toEqual({ clientId, error: 'invalid_grant' });
    }
    expect((await exchange(app, 'sso-second', first)).body.error).toBe('invalid_grant');
  });
});


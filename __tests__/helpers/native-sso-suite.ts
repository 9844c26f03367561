import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import type { ExampleIdentityProvider } from '../../examples/idp/app.js';
import type { CascadeRevokedEvent, IssuedEvent, NativeSsoEvent } from '../../lib/index.js';
import { dsHash } from '../../lib/native-sso/device-secret.js';
import {
  deviceLogin, exchange, LEGACY_DEVICE_SECRET_TYPE, mintFromDeviceSecret, refresh, revokeDeviceSecret, type DeviceTokens,
} from './native-sso.js';
import { AUDIENCE } from './idp.js';
import { authorize, idTokenClaims } from './web-login.js';

/**
 * OpenID Connect Native SSO 1.0 end to end, run by the Redis suite and the Redis Cluster suite:
 * the first app's device secret, the second app's exchange, rotation, the trust map, transfer
 * tokens from a device secret, and device logout reaching every app and the web sessions they made.
 */
export function nativeSsoSuite(idp: () => ExampleIdentityProvider): void {
  const events: NativeSsoEvent[] = [];
  const cascades: CascadeRevokedEvent[] = [];
  const issued: IssuedEvent[] = [];
  const app = () => idp().app;
  beforeAll(() => {
    idp().transfer.on('native_sso', (e) => events.push(e)).on('cascade_revoked', (e) => cascades.push(e)).on('issued', (e) => issued.push(e));
  });
  beforeEach(() => {
    events.length = 0;
    cascades.length = 0;
    issued.length = 0;
  });

  /** The grant behind a refresh token. */
  const grantOf = async (refreshToken: string) => (await idp().provider.RefreshToken.find(refreshToken))!.grantId!;
  /** A browser signed in to web client `clientId` by a transfer token: its agent. */
  async function webSession(token: string, clientId = 'query-web') {
    const agent = request.agent(app());
    const outcome = await authorize(agent, idp().provider, { clientId, token });
    expect(outcome.kind).toBe('code');
    return agent;
  }
  /** Where that browser ends at its next authorization: `code` while signed in, else the prompt's name. */
  const nextAuthorization = async (agent: ReturnType<typeof request.agent>, clientId = 'query-web') => {
    const outcome = await authorize(agent, idp().provider, { clientId });
    return outcome.kind === 'interaction' ? outcome.prompt : outcome.kind;
  };
  const mintFromRefreshToken = async (clientId: string, refreshToken: string) => {
    const res = await refresh(app(), clientId, refreshToken, { audience: AUDIENCE });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  describe('the first app', () => {
    it('gets a device secret with its tokens, its ID token naming it (ds_hash) and the device session (sid)', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      expect(first.device_secret).toMatch(/^[\w-]+\.[\w-]{43}$/);
      const claims = idTokenClaims(first.id_token!);
      expect(claims.ds_hash).toBe(dsHash(first.device_secret!));
      expect(claims.sid).toBe(first.device_secret!.split('.')[0]);
      expect(events.map((e) => [e.outcome, e.clientId, e.deviceSessionId])).toEqual([['started', 'sso-first', claims.sid]]);
    });

    it('gets none without the device_sso scope', async () => {
      const first = await deviceLogin(app(), 'sso-first', 'openid offline_access email');
      expect(first.device_secret).toBeUndefined();
      expect(idTokenClaims(first.id_token!).ds_hash).toBeUndefined();
    });

    it('is told Native SSO is supported by discovery', async () => {
      const discovery = (await request(app()).get('/.well-known/openid-configuration')).body;
      expect(discovery).toMatchObject({ native_sso_supported: true });
      expect(discovery.scopes_supported).toContain('device_sso');
    });
  });

  describe('the second app', () => {
    it('signs in with no browser: its own tokens, for the same user and device session', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const res = await exchange(app(), 'sso-second', first);
      expect(res.body.error_description).toBeUndefined();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer' });
      expect(res.body.device_secret).toBeUndefined();
      const claims = idTokenClaims(res.body.id_token);
      const firstClaims = idTokenClaims(first.id_token!);
      expect(claims).toMatchObject({ aud: 'sso-second', sub: firstClaims.sub, sid: firstClaims.sid, ds_hash: firstClaims.ds_hash });
      expect(claims.nonce).toBeUndefined();
      const userinfo = await request(app()).get('/me').auth(res.body.access_token, { type: 'bearer' });
      expect(userinfo.status).toBe(200);
      expect(userinfo.body.sub).toBe(firstClaims.sub);
      // Its refresh token is its own, and its refreshed ID token stays in the device session.
      const refreshed = await refresh(app(), 'sso-second', res.body.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(idTokenClaims(refreshed.body.id_token)).toMatchObject({ aud: 'sso-second', sid: firstClaims.sid });
      expect(events.map((e) => [e.outcome, e.clientId, e.fromClientId])).toEqual([['started', 'sso-first', undefined], ['exchanged', 'sso-second', 'sso-first']]);
    });

    it('accepts the device-secret type Okta\'s and Authgear\'s SDKs send', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      expect((await exchange(app(), 'sso-second', first, { actor_token_type: LEGACY_DEVICE_SECRET_TYPE })).status).toBe(200);
    });
  });

  describe('a refresh', () => {
    it('without the device secret issues a new one with its ID token (§3.4.3), the earlier one still valid; with it, keeps it', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const sid = idTokenClaims(first.id_token!).sid;
      const rotated = (await refresh(app(), 'sso-first', first.refresh_token)).body as DeviceTokens;
      expect(rotated.device_secret).toMatch(new RegExp(`^${String(sid)}\\.`));
      expect(rotated.device_secret).not.toBe(first.device_secret);
      expect(idTokenClaims(rotated.id_token!)).toMatchObject({ sid, ds_hash: dsHash(rotated.device_secret!) });
      expect((await exchange(app(), 'sso-second', { id_token: rotated.id_token, device_secret: rotated.device_secret })).status).toBe(200);
      expect((await exchange(app(), 'sso-second', first)).status).toBe(200);
      // Sent along, a current secret is kept: no new one, the ID token names it.
      const kept = (await refresh(app(), 'sso-first', rotated.refresh_token ?? first.refresh_token, { device_secret: rotated.device_secret! })).body as DeviceTokens;
      expect(kept.device_secret).toBeUndefined();
      expect(idTokenClaims(kept.id_token!)).toMatchObject({ sid, ds_hash: dsHash(rotated.device_secret!) });
    });
  });

  describe('refusals', () => {
    it('answers each with the OAuth error the spec or RFC 8693 names', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const other = await deviceLogin(app(), 'sso-first');
      const cases: [Record<string, string | undefined>, string, string][] = [
        [{ actor_token: `${first.device_secret!.split('.')[0]}.${'A'.repeat(43)}` }, 'invalid_request', 'device_secret_invalid'],
        [{ actor_token: `nosuchsession.${'A'.repeat(43)}` }, 'invalid_grant', 'device_session_ended'],
        [{ actor_token: 'not-a-device-secret' }, 'invalid_request', 'device_secret_invalid'],
        [{ subject_token: other.id_token }, 'invalid_request', 'id_token_mismatch'],
        [{ subject_token: `${first.id_token!.slice(0, -4)}AAAA` }, 'invalid_request', 'id_token_mismatch'],
        [{ subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }, 'invalid_request', 'invalid_request'],
        [{ audience: undefined }, 'invalid_request', 'invalid_request'],
        [{ audience: 'https://elsewhere.example' }, 'invalid_target', 'invalid_request'],
        [{ scope: 'openid profile' }, 'interaction_required', 'interaction_required'],
        [{ scope: 'email' }, 'invalid_request', 'invalid_request'],
        [{ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request', 'invalid_request'],
      ];
      for (const [overrides, error, reason] of cases) {
        events.length = 0;
        const res = await exchange(app(), 'sso-second', first, overrides);
        expect({ overrides, status: res.status, error: res.body.error, reason: events[0]?.reason }).toEqual({ overrides, status: 400, error, reason });
      }
      const plain = await exchange(app(), 'plain-native', first);
      expect(plain.body.error).toBe('unauthorized_client');
    });
  });

  describe('the trust map', () => {
    it('keeps Native SSO within the group, for the exchange and for a transfer token from the device secret', async () => {
      const picky = await deviceLogin(app(), 'sso-picky');
      const second = await exchange(app(), 'sso-second', picky);
      expect(second.status).toBe(200);
      // The group is the first app's: sso-second, whose own lists allow any app, does not bring in one outside it.
      const viaSecond = { id_token: second.body.id_token, device_secret: picky.device_secret };
      for (const from of [picky, viaSecond]) {
        for (const res of [await exchange(app(), 'sso-third', from), await mintFromDeviceSecret(app(), 'sso-third', from)]) {
          expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'sso-third is not in sso-picky\'s session_transfer.transfer_to' });
        }
      }
      const first = await deviceLogin(app(), 'sso-first');
      events.length = 0;
      const loner = await exchange(app(), 'sso-loner', first);
      expect(loner.body).toMatchObject({ error: 'invalid_request', error_description: 'sso-loner does not accept sessions from sso-first (its session_transfer.accept_from)' });
      expect(events.map((e) => e.reason)).toEqual(['not_trusted']);
    });
  });

  describe('a transfer token from a device secret', () => {
    it('signs a browser in for an app with no refresh token, as the device session\'s user', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const res = await mintFromDeviceSecret(app(), 'sso-third', first);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
      await webSession(res.body.access_token);
      const sid = String(idTokenClaims(first.id_token!).sid);
      expect(issued.map((e) => [e.form, e.clientId, e.grantId])).toEqual([['device_secret', 'sso-third', `device:${sid}`]]);
    });

    it('is refused to an app that may not mint, and with a device secret that is not current', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      expect((await mintFromDeviceSecret(app(), 'sso-first', first)).body.error).toBe('unauthorized_client');
      const forged = `${first.device_secret!.split('.')[0]}.${'A'.repeat(43)}`;
      expect((await mintFromDeviceSecret(app(), 'sso-third', { ...first, device_secret: forged })).body.error).toBe('invalid_request');
    });
  });

  describe('device logout', () => {
    it('revoking the device secret signs out every app and the web sessions they created, as cascades', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const sid = String(idTokenClaims(first.id_token!).sid);
      const second = (await exchange(app(), 'sso-second', first)).body;
      const fromSecond = await webSession(await mintFromRefreshToken('sso-second', second.refresh_token));
      const fromSecret = await webSession((await mintFromDeviceSecret(app(), 'sso-third', first)).body.access_token);
      const secondGrant = await grantOf(second.refresh_token);
      // Another device session of the same user is left alone.
      const elsewhere = await deviceLogin(app(), 'sso-first');

      expect((await revokeDeviceSecret(app(), 'sso-second', first.device_secret!)).status).toBe(200);
      for (const [clientId, refreshToken] of [['sso-first', first.refresh_token], ['sso-second', second.refresh_token]] as const) {
        expect({ clientId, error: (await refresh(app(), clientId, refreshToken)).body.error }).toEqual({ clientId, error: 'invalid_grant' });
      }
      expect(await nextAuthorization(fromSecond)).toBe('login');
      expect(await nextAuthorization(fromSecret)).toBe('login');
      expect((await exchange(app(), 'sso-second', first)).body.error).toBe('invalid_grant');
      expect((await refresh(app(), 'sso-first', elsewhere.refresh_token)).status).toBe(200);
      // The device session's: the apps' two grants, and the session from the device secret with its web grant.
      expect(cascades.find((e) => e.grantId === `device:${sid}`)).toMatchObject({ trigger: 'device_logout', sessions: 1, grants: 3 });
      // The second app's own: the session its transfer token created.
      expect(cascades.find((e) => e.grantId === secondGrant)).toMatchObject({ trigger: 'device_logout', sessions: 1, grants: 1 });
    });

    it('ends with its first sign-in: revoking that grant signs the other apps out; another app\'s logout does not', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const second = (await exchange(app(), 'sso-second', first)).body;
      const third = (await exchange(app(), 'sso-picky', first)).body;
      await idp().transfer.revokeGrant(await grantOf(second.refresh_token));
      expect((await refresh(app(), 'sso-first', first.refresh_token)).status).toBe(200);
      const rotated = await refresh(app(), 'sso-picky', third.refresh_token);
      expect(rotated.status).toBe(200);
      await idp().transfer.revokeGrant(await grantOf(first.refresh_token));
      expect((await refresh(app(), 'sso-picky', rotated.body.refresh_token)).body.error).toBe('invalid_grant');
      expect((await exchange(app(), 'sso-picky', first)).body.error).toBe('invalid_grant');
    });

    it('transfer.endDeviceSession(sid) does the same', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const second = (await exchange(app(), 'sso-second', first)).body;
      await idp().transfer.endDeviceSession(String(idTokenClaims(first.id_token!).sid));
      expect((await refresh(app(), 'sso-second', second.refresh_token)).body.error).toBe('invalid_grant');
      expect((await refresh(app(), 'sso-first', first.refresh_token)).body.error).toBe('invalid_grant');
    });

    it('ignores a device secret that is not current, or revoked by an app outside its group, as RFC 7009 ignores unknown tokens', async () => {
      const first = await deviceLogin(app(), 'sso-first');
      const forged = `${first.device_secret!.split('.')[0]}.${'A'.repeat(43)}`;
      expect((await revokeDeviceSecret(app(), 'sso-first', forged)).status).toBe(200);
      expect((await revokeDeviceSecret(app(), 'sso-loner', first.device_secret!)).status).toBe(200);
      expect((await exchange(app(), 'sso-second', first)).status).toBe(200);
    });
  });
}

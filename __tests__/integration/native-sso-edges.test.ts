import { afterAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';

import { MemoryStore, StoreUnavailableError, type NativeSsoEvent, type SessionTransfer } from '../../lib/index.js';
import { deviceLineage } from '../../lib/store/store.js';
import { quitRedis, redisClient } from '../helpers/idp.js';
import { deviceLogin, exchange, mintFromDeviceSecret, nativeSsoApp, nativeSsoProvider, refresh, revokeDeviceSecret } from '../helpers/native-sso.js';
import { idTokenClaims } from '../helpers/web-login.js';

/** Native SSO's bounds, outages and races, on Redis. */
const redis = redisClient();
afterAll(() => quitRedis(redis));

describe('bounds', () => {
  const { app, provider, transfer } = nativeSsoProvider({ redis, keyPrefix: 'nsso-bounds:', nativeSso: { maxApps: 2, lifetime: 300 } }, [nativeSsoApp('sso-fourth')]);

  it('refuses an app past nativeSso.maxApps, keeping no grant of it', async () => {
    const grants = async () => (await redis.keys('nsso-bounds:oidc:Grant:*')).length;
    const first = await deviceLogin(app, 'sso-first');
    expect((await exchange(app, 'sso-second', first)).status).toBe(200);
    const before = await grants();
    const third = await exchange(app, 'sso-fourth', first);
    expect(third.body).toMatchObject({ error: 'invalid_request', error_description: 'the device session holds its most apps already (nativeSso.maxApps, 2)' });
    expect(await grants()).toBe(before);
  });

  it('ends the refresh tokens of the apps it signed in with the device session (§4.3)', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const token = (await provider.RefreshToken.find(second.refresh_token))!;
    expect(token.exp! - token.iat!).toBeLessThanOrEqual(300);
  });

  it("refuses an app's refresh tokens past the device session's lifetime, after rotations too (§4.3)", async () => {
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const rotated = (await refresh(app, 'sso-second', second.refresh_token)).body;
    expect(rotated.refresh_token).not.toBe(second.refresh_token);
    const started = Date.now();
    // The provider's clock moves (Date); Redis, sockets and timers keep real time.
    const at = (seconds: number) => jest.useFakeTimers({
      now: started + seconds * 1000,
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
    });
    try {
      at(200);
      const before = await refresh(app, 'sso-second', rotated.refresh_token);
      expect(before.status).toBe(200);
      at(301);
      const after = await refresh(app, 'sso-second', before.body.refresh_token);
      expect(after.body).toMatchObject({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    } finally {
      jest.useRealTimers();
    }
  });

  it("never starts a device session at an exchange-signed app's refresh: with its own gone, no device secret and no ds_hash", async () => {
    const events: NativeSsoEvent[] = [];
    transfer.on('native_sso', (e) => events.push(e));
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const id = first.device_secret!.split('.')[0]!;
    // The device session is lost (a failover), its apps' grants left.
    await redis.del(`nsso-bounds:device:{device:${id}}`, `nsso-bounds:device-secrets:{device:${id}}`);
    const res = await refresh(app, 'sso-second', second.refresh_token);
    expect(res.status).toBe(200);
    expect(res.body.device_secret).toBeUndefined();
    expect(idTokenClaims(res.body.id_token)).not.toHaveProperty('ds_hash');
    expect(events.map((e) => e.outcome)).toEqual(['started', 'exchanged']);
  });

  it('refuses an ID token the device secret was not issued with, though of the same device session', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const rotated = (await refresh(app, 'sso-first', first.refresh_token)).body;
    const res = await exchange(app, 'sso-second', { id_token: first.id_token, device_secret: rotated.device_secret });
    expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'subject_token was not issued with this device secret (ds_hash)' });
  });

  it("refuses a device secret whose device session's first sign-in is gone, whatever its record says", async () => {
    const first = await deviceLogin(app, 'sso-first');
    const grantId = (await provider.RefreshToken.find(first.refresh_token))!.grantId!;
    // The grant gone, its device session's record left (a sign-in that raced a device logout).
    expect(await redis.del(`nsso-bounds:oidc:Grant:{${grantId}}`)).toBe(1);
    const events: NativeSsoEvent[] = [];
    transfer.on('native_sso', (e) => events.push(e));
    for (const res of [await exchange(app, 'sso-second', first), await mintFromDeviceSecret(app, 'sso-third', first)]) {
      expect(res.body.error).toBe('invalid_grant');
    }
    expect(events.map((e) => e.reason)).toEqual(['device_session_ended']);
  });

  it('keeps no device secret in Redis, only its hash', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const random = first.device_secret!.split('.')[1]!;
    const keys = await redis.keys('nsso-bounds:*');
    const values = await Promise.all(keys.map(async (key) => {
      const type = await redis.type(key);
      if (type === 'string') return redis.get(key);
      if (type === 'zset') return (await redis.zrange(key, 0, -1)).join(' ');
      if (type === 'set') return (await redis.smembers(key)).join(' ');
      return JSON.stringify(await redis.hgetall(key));
    }));
    expect(keys.some((key) => key.includes('device-secrets:'))).toBe(true);
    expect([...keys, ...values].filter((text) => text?.includes(random))).toEqual([]);
  });
});

describe("a host whose grants live shorter than the device session", () => {
  // A host's ttl.Grant may read the grant it is asked about, its scope included.
  const grantTtl = (_ctx: unknown, grant: { openid?: { scope?: string } }) => (grant.openid?.scope?.split(' ').includes('offline_access') ? 3600 : 600);
  const { app, provider } = nativeSsoProvider({ redis, keyPrefix: 'nsso-grant-ttl:' }, [], { ttl: { Grant: grantTtl as never } });

  it("keeps its ttl.Grant for an exchange's grant: the device session only shortens it", async () => {
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const grant = (await provider.Grant.find((await provider.RefreshToken.find(second.refresh_token))!.grantId!))!;
    expect(grant.exp! - grant.iat!).toBe(3600);
  });
});

describe('an exchange that fails after joining its device session', () => {
  const { app } = nativeSsoProvider({ redis, keyPrefix: 'nsso-failing:', nativeSso: { maxApps: 2 } }, [nativeSsoApp('sso-broken')], {
    issueRefreshToken: async (_ctx, client) => {
      if (client.clientId === 'sso-broken') throw new Error('the host failed');
      return true;
    },
  });

  it("gives its place among the device session's apps back", async () => {
    const first = await deviceLogin(app, 'sso-first');
    expect((await exchange(app, 'sso-broken', first)).body.error).toBe('server_error');
    expect((await exchange(app, 'sso-second', first)).status).toBe(200);
  });
});

describe('a browser that signs an app in again', () => {
  // Back-channel logout gives the app's ID tokens the browser session's `sid`, the device session's
  // id; this host makes a new grant at every sign-in (its consent's), as oidc-provider lets it.
  const { app, provider, transfer } = nativeSsoProvider(
    { redis, keyPrefix: 'nsso-again:', nativeSso: { maxApps: 2 } },
    [nativeSsoApp('sso-sid', {}, { backchannel_logout_uri: 'https://app.example.com/backchannel', backchannel_logout_session_required: true })],
    {
      features: { devInteractions: { enabled: false }, revocation: { enabled: true }, backchannelLogout: { enabled: true } },
      loadExistingGrant: async (ctx) => {
        const grantId = ctx.oidc.result?.consent?.grantId;
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
      },
    },
  );

  const grantOf = async (refreshToken: string) => (await provider.RefreshToken.find(refreshToken))?.grantId;

  it('joins the device session its sid names even when it holds its most apps: a device logout reaches it', async () => {
    const browser = request.agent(app);
    const first = await deviceLogin(app, 'sso-sid', undefined, browser);
    const { sid } = idTokenClaims(first.id_token!);
    expect(first.device_secret!.startsWith(`${String(sid)}.`)).toBe(true);
    const second = (await exchange(app, 'sso-second', first)).body;
    expect(second.refresh_token).toEqual(expect.any(String));
    const again = await deviceLogin(app, 'sso-sid', undefined, browser);
    expect(again.device_secret!.startsWith(`${String(sid)}.`)).toBe(true);
    expect(await grantOf(again.refresh_token)).not.toBe(await grantOf(first.refresh_token));
    expect((await revokeDeviceSecret(app, 'sso-sid', again.device_secret!)).status).toBe(200);
    const refreshes = await Promise.all([['sso-sid', again], ['sso-second', second], ['sso-sid', first]].map(
      ([clientId, tokens]) => refresh(app, clientId as string, (tokens as { refresh_token: string }).refresh_token),
    ));
    expect(refreshes.map((res) => res.body.error)).toEqual(['invalid_grant', 'invalid_grant', 'invalid_grant']);
  });

  it("after a device logout: no device secret while the logout's mark lives, then a device session under the same sid that apps join", async () => {
    const events: NativeSsoEvent[] = [];
    transfer.on('native_sso', (e) => events.push(e));
    const browser = request.agent(app);
    const first = await deviceLogin(app, 'sso-sid', undefined, browser);
    const { sid } = idTokenClaims(first.id_token!);
    expect((await revokeDeviceSecret(app, 'sso-sid', first.device_secret!)).status).toBe(200);
    events.length = 0;
    const atOnce = await deviceLogin(app, 'sso-sid', undefined, browser);
    expect(atOnce.device_secret).toBeUndefined();
    expect(events.map((e) => [e.outcome, e.error])).toEqual([['degraded', 'its device session (this sid) ended moments ago']]);
    // The mark lapses (it lives the transfer tokens' ttl + 5 s).
    expect(await redis.del(`nsso-again:revoked:{device:${String(sid)}}`)).toBe(1);
    const later = await deviceLogin(app, 'sso-sid', undefined, browser);
    expect(later.device_secret?.startsWith(`${String(sid)}.`)).toBe(true);
    expect((await exchange(app, 'sso-second', later)).status).toBe(200);
  });
});

/** A MemoryStore that fails one device-session operation with the store's own error. */
function failing(operation: 'saveDeviceSession' | 'deviceSession'): MemoryStore {
  return Object.assign(new MemoryStore(), {
    [operation]: async (): Promise<never> => {
      throw new StoreUnavailableError('Redis is down');
    },
  });
}

describe('a store outage', () => {
  it('at sign-in: the app signs in without a device secret, reported', async () => {
    const { app, transfer } = nativeSsoProvider({ store: failing('saveDeviceSession') });
    const events: NativeSsoEvent[] = [];
    transfer.on('native_sso', (e) => events.push(e));
    const first = await deviceLogin(app, 'sso-first');
    expect(first.access_token).toBeDefined();
    expect(first.device_secret).toBeUndefined();
    expect(idTokenClaims(first.id_token!).ds_hash).toBeUndefined();
    expect(events.map((e) => [e.outcome, e.clientId])).toEqual([['degraded', 'sso-first']]);
  });

  it('at sign-in, records no device session whose first app could not be linked to it', async () => {
    const saved: string[] = [];
    const store = new (class extends MemoryStore {
      override async linkDeviceGrant(): Promise<never> {
        throw new StoreUnavailableError('Redis is down');
      }

      override async saveDeviceSession(...args: Parameters<MemoryStore['saveDeviceSession']>) {
        saved.push(args[0]);
        return super.saveDeviceSession(...args);
      }
    })();
    const first = await deviceLogin(nativeSsoProvider({ store }).app, 'sso-first');
    expect(first.device_secret).toBeUndefined();
    expect(saved).toEqual([]);
  });

  it('at an exchange and a device logout: 503, nothing issued or ended', async () => {
    const { app } = nativeSsoProvider({ store: failing('deviceSession') });
    const first = await deviceLogin(app, 'sso-first');
    const res = await exchange(app, 'sso-second', first);
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 503, error: 'server_error' });
    const revoked = await revokeDeviceSecret(app, 'sso-first', first.device_secret!);
    expect({ status: revoked.status, error: revoked.body.error }).toEqual({ status: 503, error: 'server_error' });
  });
});

describe('a device logout during an exchange', () => {
  /**
   * An exchange whose device session a logout ends between its checks and its joining, the
   * logout's mark still there or (`lapsed`, a slow exchange) gone: its answer and last event.
   */
  async function exchangeDuringLogout(lapsed: boolean) {
    const ending: { transfer?: SessionTransfer; onJoin: boolean } = { onJoin: false };
    const store = new (class extends MemoryStore {
      override async addChild(...args: Parameters<MemoryStore['addChild']>) {
        const device = deviceLineage('');
        if (!ending.onJoin || !args[0].startsWith(device)) return super.addChild(...args);
        ending.onJoin = false;
        await ending.transfer!.endDeviceSession(args[0].slice(device.length));
        const [parent, child, ttl, max] = args;
        return lapsed ? super.addChild(parent, child, ttl, max) : super.addChild(...args);
      }
    })();
    const idp = nativeSsoProvider({ store });
    ending.transfer = idp.transfer;
    const events: NativeSsoEvent[] = [];
    idp.transfer.on('native_sso', (e) => events.push(e));
    const first = await deviceLogin(idp.app, 'sso-first');
    ending.onJoin = true;
    const res = await exchange(idp.app, 'sso-second', first);
    return { error: res.body.error, event: events.at(-1) };
  }

  it('either sees the new app or refuses it: an app never joins an ended device session', async () => {
    expect(await exchangeDuringLogout(false)).toMatchObject({ error: 'invalid_grant', event: { outcome: 'refused', reason: 'device_session_ended' } });
  });

  it("refuses it when the logout's mark has lapsed before it joins (a slow exchange): the device session is gone", async () => {
    expect(await exchangeDuringLogout(true)).toMatchObject({ error: 'invalid_grant', event: { outcome: 'refused', reason: 'device_session_ended' } });
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';

import { MemoryStore, StoreUnavailableError, type NativeSsoEvent, type SessionTransfer } from '../../lib/index.js';
import { quitRedis, redisClient } from '../helpers/idp.js';
import { deviceLogin, exchange, nativeSsoApp, nativeSsoProvider, refresh, revokeDeviceSecret } from '../helpers/native-sso.js';
import { idTokenClaims } from '../helpers/web-login.js';

/** Native SSO's bounds, outages and races, on Redis. */
const redis = redisClient();
afterAll(() => quitRedis(redis));

describe('bounds', () => {
  const { app, provider } = nativeSsoProvider({ redis, keyPrefix: 'nsso-bounds:', nativeSso: { maxApps: 2, lifetime: 300 } }, [nativeSsoApp('sso-fourth')]);

  it('refuses an app past nativeSso.maxApps', async () => {
    const first = await deviceLogin(app, 'sso-first');
    expect((await exchange(app, 'sso-second', first)).status).toBe(200);
    const third = await exchange(app, 'sso-fourth', first);
    expect(third.body).toMatchObject({ error: 'invalid_request', error_description: 'the device session holds its most apps already (nativeSso.maxApps, 2)' });
  });

  it('ends the refresh tokens of the apps it signed in with the device session (§4.3)', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const second = (await exchange(app, 'sso-second', first)).body;
    const token = (await provider.RefreshToken.find(second.refresh_token))!;
    expect(token.exp! - token.iat!).toBeLessThanOrEqual(300);
  });

  it('refuses an ID token the device secret was not issued with, though of the same device session', async () => {
    const first = await deviceLogin(app, 'sso-first');
    const rotated = (await refresh(app, 'sso-first', first.refresh_token)).body;
    const res = await exchange(app, 'sso-second', { id_token: first.id_token, device_secret: rotated.device_secret });
    expect(res.body).toMatchObject({ error: 'invalid_request', error_description: 'subject_token was not issued with this device secret (ds_hash)' });
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
  it('either sees the new app or refuses it: an app never joins an ended device session', async () => {
    const ending: { transfer?: SessionTransfer; onRead: boolean } = { onRead: false };
    // The logout lands between the exchange's checks and its joining the device session.
    const store = new (class extends MemoryStore {
      override async deviceSession(...args: Parameters<MemoryStore['deviceSession']>) {
        const found = await super.deviceSession(...args);
        if (ending.onRead && found) await ending.transfer!.endDeviceSession(args[0]);
        return found;
      }
    })();
    const idp = nativeSsoProvider({ store });
    ending.transfer = idp.transfer;
    const events: NativeSsoEvent[] = [];
    idp.transfer.on('native_sso', (e) => events.push(e));
    const first = await deviceLogin(idp.app, 'sso-first');
    ending.onRead = true;
    const res = await exchange(idp.app, 'sso-second', first);
    expect(res.body.error).toBe('invalid_grant');
    expect(events.at(-1)).toMatchObject({ outcome: 'refused', reason: 'device_session_ended' });
  });
});

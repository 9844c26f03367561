import { describe, expect, it } from '@jest/globals';

import { MemoryStore, OptionsError, sessionTransfer, type SessionTransferOptions } from '../../lib/index.js';
import { defaults, resolveOptions } from '../../lib/options.js';

const store = new MemoryStore();

describe('options', () => {
  it('fills in every default', () => {
    const resolved = resolveOptions({ store });
    expect(resolved).toMatchObject({
      keyPrefix: 'st:',
      commandTimeout: 1000,
      ttl: 60,
      tokenType: 'urn:auth0:params:oauth:token-type:session_transfer_token',
      cookieName: 'auth0_session_transfer_token',
      cookieDomain: undefined,
      trustProxy: undefined,
      forwardedForHeader: 'auth0-forwarded-for',
      asnResolver: undefined,
      onRedeem: undefined,
      redeemHookTimeout: 2000,
    });
    expect(resolved.clock).toBe(Date.now);
    expect(resolved.audience(new URL('https://id.example.com:8443/oidc'))).toEqual([
      'urn:id.example.com:8443:session_transfer',
      'urn:id.example.com:session_transfer',
    ]);
    expect(defaults.audience(new URL('https://id.example.com'))).toEqual(['urn:id.example.com:session_transfer']);
  });

  it.each<[string, SessionTransferOptions, RegExp]>([
    ['no store', {} as never, /^options\.redis is required/],
    ['both stores', { store, redis: {} as never }, /^options\.store cannot be combined with options\.redis/],
    ['a redis that is not a client', { redis: { get: 1 } as never }, /^options\.redis must be an ioredis client/],
    ['a store without consume', { store: { save: async () => undefined } as never }, /^options\.store must implement/],
    ['a ttl below 10', { store, ttl: 5 }, /^options\.ttl must be an integer from 10 to 300$/],
    ['a ttl above 300', { store, ttl: 301 }, /^options\.ttl must be an integer from 10 to 300$/],
    ['a fractional ttl', { store, ttl: 60.5 }, /^options\.ttl must be/],
    ['a zero commandTimeout', { store, commandTimeout: 0 }, /^options\.commandTimeout must be an integer from 50/],
    ['an empty keyPrefix', { store, keyPrefix: '' }, /^options\.keyPrefix must be a non-empty string$/],
    ['a cookie name with a space', { store, cookieName: 'a b' }, /^options\.cookieName must be a string matching/],
    ['a cookie domain with a path', { store, cookieDomain: 'example.com/x' }, /^options\.cookieDomain must be a string matching/],
    ['a cookie domain with attributes', { store, cookieDomain: 'example.com; Secure' }, /^options\.cookieDomain must be a string matching/],
    ['trustProxy true', { store, trustProxy: true as never }, /^options\.trustProxy must be false, a hop count, or \{ hops\?, ranges\? \}$/],
    ['trustProxy 0', { store, trustProxy: 0 }, /^options\.trustProxy must be an integer from 1 to 10$/],
    ['an empty trustProxy object', { store, trustProxy: {} }, /^options\.trustProxy must give hops, ranges or both$/],
    ['a bad trusted range', { store, trustProxy: { ranges: ['10.0.0.0/33'] } }, /^options\.trustProxy\.ranges must hold IP addresses or CIDR ranges: "10\.0\.0\.0\/33"/],
    ['a trusted range that is no address', { store, trustProxy: { ranges: ['proxy.internal'] } }, /^options\.trustProxy\.ranges must hold/],
    ['an unknown trustProxy setting', { store, trustProxy: { hop: 1 } as never }, /^options\.trustProxy\.hop is not a setting/],
    ['a header name with a colon', { store, forwardedForHeader: 'x:y' }, /^options\.forwardedForHeader must be a string matching/],
    ['a hook that is not a function', { store, onRedeem: {} as never }, /^options\.onRedeem must be a function$/],
    ['a hook timeout of 5 ms', { store, redeemHookTimeout: 5 }, /^options\.redeemHookTimeout must be an integer from 10 to 30000$/],
    ['an asnResolver without lookup', { store, asnResolver: {} as never }, /^options\.asnResolver must have a lookup/],
    ['a clock that is not a function', { store, clock: 5 as never }, /^options\.clock must be a function$/],
    ['an unknown option', { store, tll: 60 } as never, /^options\.tll is not an option/],
    ['nativeSso true', { store, nativeSso: true as never }, /^options\.nativeSso must be an object \(\{\} for the defaults\)$/],
    ['an unknown nativeSso setting', { store, nativeSso: { maxapps: 2 } as never }, /^options\.nativeSso\.maxapps is not a setting \(known: lifetime, maxApps, audiences\)$/],
    ['a device session lifetime under 5 minutes', { store, nativeSso: { lifetime: 299 } }, /^options\.nativeSso\.lifetime must be an integer from 300 to 31536000$/],
    ['maxApps 0', { store, nativeSso: { maxApps: 0 } }, /^options\.nativeSso\.maxApps must be an integer from 1 to 10000$/],
    ['an empty audience', { store, nativeSso: { audiences: [''] } }, /^options\.nativeSso\.audiences\[0\] must be a non-empty string$/],
    ['audiences as a string', { store, nativeSso: { audiences: 'api://default' as never } }, /^options\.nativeSso\.audiences must be an array of strings$/],
    ['a custom store without device sessions', { store: { save: async () => undefined, consume: async () => undefined } as never, nativeSso: {} },
      /^options\.nativeSso needs a store with device sessions: options\.store has no saveDeviceSession\(\)/],
  ])('rejects %s, naming the option', (_name, input, message) => {
    let thrown: unknown;
    try {
      sessionTransfer(input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OptionsError);
    expect(thrown).toMatchObject({ code: 'ERR_SESSION_TRANSFER_OPTIONS', message: expect.stringMatching(message) });
  });

  it('accepts the ends of each range', () => {
    expect(resolveOptions({ store, ttl: 10, commandTimeout: 50, trustProxy: 1 })).toMatchObject({ ttl: 10, commandTimeout: 50, trustProxy: { hops: 1 } });
    expect(resolveOptions({ store, ttl: 300, trustProxy: { hops: 10 } })).toMatchObject({ ttl: 300, trustProxy: { hops: 10 } });
    expect(resolveOptions({ store, cookieDomain: '.example.com' }).cookieDomain).toBe('.example.com');
    expect(resolveOptions({ store, cookieDomain: 'id.example.com' }).cookieDomain).toBe('id.example.com');
    expect(resolveOptions({ store, nativeSso: {} }).nativeSso).toEqual({ lifetime: 2_592_000, maxApps: 20, audiences: [] });
    expect(resolveOptions({ store, nativeSso: { lifetime: 31_536_000, maxApps: 10_000, audiences: ['api://default', 'api://default'] } }).nativeSso)
      .toEqual({ lifetime: 31_536_000, maxApps: 10_000, audiences: ['api://default'] });
    expect(resolveOptions({ store }).nativeSso).toBeUndefined();
  });
});

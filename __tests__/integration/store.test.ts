import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';

import {
  MemoryStore, RedisStore, StoreUnavailableError, type DeviceSession, type DeviceSessionStore, type TransferRecord, type TransferStore,
} from '../../lib/index.js';
import { generateToken, hashToken } from '../../lib/token.js';
import { redisClient } from '../helpers/idp.js';
import { startRedisServer } from '../helpers/redis-server.js';

const redis = redisClient();
// ioredis's enableAutoPipelining batches commands differently (it once lost the command of
// `callBuffer`): the store must work with it on.
const pipelining = new Redis(process.env.REDIS_URL!, { enableAutoPipelining: true });
afterAll(async () => {
  await Promise.all([redis.quit(), pipelining.quit()]);
});

const record = (): TransferRecord => ({
  accountId: 'demo',
  clientId: 'example-native',
  grantId: 'grant-1',
  scope: 'openid',
  ip: '127.0.0.1',
  iat: 1_700_000_000,
  exp: 1_700_000_060,
});

const stores: [string, () => TransferStore & DeviceSessionStore][] = [
  ['RedisStore', () => new RedisStore({ client: redis, prefix: 'store-test:', commandTimeout: 1000 })],
  ['RedisStore, auto-pipelining', () => new RedisStore({ client: pipelining, prefix: 'store-pipelined:', commandTimeout: 1000 })],
  ['MemoryStore', () => new MemoryStore()],
];

describe.each(stores)('%s', (_name, makeStore) => {
  it('gives the record to exactly one of 100 concurrent consumes; the others learn it was replayed', async () => {
    const store = makeStore();
    const hash = hashToken(generateToken());
    await store.save(hash, record(), 60);
    const results = await Promise.all(Array.from({ length: 100 }, () => store.consume(hash, '192.0.2.1')));
    expect(results.filter((result) => result && !('replayed' in result))).toEqual([record()]);
    expect(results.filter((result) => result && 'replayed' in result)).toEqual(Array(99).fill({ replayed: 'grant-1', by: '192.0.2.1' }));
  });

  it('counts the tokens a grant mints within a window', async () => {
    const store = makeStore();
    expect([await store.countIssued('g-count', 60), await store.countIssued('g-count', 60), await store.countIssued('g-other', 60)]).toEqual([1, 2, 1]);
  });

  it('keeps at most `max` live children under a grant, and a child added again counts once', async () => {
    const store = makeStore();
    expect(await store.addChild('g-cap', 'session:a', 60, 2)).toBe('added');
    expect(await store.addChild('g-cap', 'session:b', 60, 2)).toBe('added');
    expect(await store.addChild('g-cap', 'session:a', 120, 2)).toBe('added');
    expect(await store.addChild('g-cap', 'session:c', 60, 2)).toBe('full');
    await store.removeChildren('g-cap', ['session:a']);
    expect(await store.addChild('g-cap', 'session:c', 60, 2)).toBe('added');
    expect((await store.endLineage('g-cap', 100, 60)).sort()).toEqual(['session:b', 'session:c']);
  });

  it('records a session, then its place in its parent grant\'s lineage', async () => {
    const store = makeStore();
    const session = { grantId: 'g-record', clientId: 'example-native', accountId: 'demo', cascade: true as const };
    expect(await store.saveSession('u-1', session, 60, { max: 10, mintedAt: 100 })).toBe('added');
    expect(await store.touchSession('u-1')).toEqual(session);
    expect(await store.endLineage('g-record', 100, 60)).toEqual(['session:u-1']);
    // After the parent's end the child is refused, and no record kept; without a lineage, no check.
    expect(await store.saveSession('u-2', session, 60, { max: 10, mintedAt: 100 })).toBe('revoked');
    expect(await store.saveSession('u-3', session, 60)).toBeUndefined();
    // Over the cap: refused, no record kept either.
    expect(await store.saveSession('u-4', { ...session, grantId: 'g-full' }, 60, { max: 1, mintedAt: 100 })).toBe('added');
    expect(await store.saveSession('u-5', { ...session, grantId: 'g-full' }, 60, { max: 1, mintedAt: 100 })).toBe('full');
    await store.deleteSessions(['u-1']);
    const records = await Promise.all(['u-1', 'u-2', 'u-3', 'u-4', 'u-5'].map((uid) => store.touchSession(uid)));
    expect(records).toEqual([undefined, undefined, session, { ...session, grantId: 'g-full' }, undefined]);
  });

  it('ends a lineage atomically: its tokens of that time are void, and a child added after is refused', async () => {
    const store = makeStore();
    expect(await store.addChild('g-end', 'session:a', 60, 10, 100)).toBe('added');
    expect(await store.endLineage('g-end', 100, 60)).toEqual(['session:a']);
    expect(await store.transfersRevokedAt('g-end')).toBe(100);
    // A token minted at or before the end cannot add a child; one minted later can (a kept grant).
    expect(await store.addChild('g-end', 'session:b', 60, 10, 100)).toBe('revoked');
    expect(await store.addChild('g-end', 'session:b', 60, 10, 101)).toBe('added');
    // Web grants are recorded without a token's time.
    expect(await store.addChild('g-end', 'grant:w', 60, 10)).toBe('added');
    // An earlier end never moves the mark back.
    await store.endLineage('g-end', 50, 60);
    expect(await store.transfersRevokedAt('g-end')).toBe(100);
  });

  it('finds nothing for an unknown hash', async () => {
    expect(await makeStore().consume(hashToken('unknown'))).toBeUndefined();
  });

  it('keeps and touches transferred-session records', async () => {
    const store = makeStore();
    const session = { grantId: 'g', clientId: 'example-native', accountId: 'demo', idle: 30 };
    await store.saveSession('uid-1', session, 600);
    expect(await store.touchSession('uid-1')).toEqual(session);
    expect(await store.touchSession('uid-1')).toEqual(session);
    expect(await store.touchSession('unknown')).toBeUndefined();
  });

  it('keeps a device session with its latest device secrets, and forgets both at once', async () => {
    const store = makeStore();
    const id = generateToken();
    const session: DeviceSession = { accountId: 'demo', clientId: 'app', grantId: 'g', scope: 'openid device_sso', amr: ['pwd'], iat: 1, exp: 2 };
    await store.saveDeviceSession(id, session, 'secret-1', 600);
    expect(await store.deviceSession(id, 'secret-1')).toEqual({ session, current: true });
    expect(await store.deviceSession(id, 'other')).toEqual({ session, current: false });
    for (const secret of ['secret-2', 'secret-3', 'secret-4']) expect(await store.addDeviceSecret(id, secret, 2)).toBe(true);
    expect(await Promise.all(['secret-1', 'secret-2', 'secret-3', 'secret-4'].map(async (secret) => (await store.deviceSession(id, secret))?.current)))
      .toEqual([false, false, true, true]);
    await store.linkDeviceGrant('g', id, 600);
    expect(await store.deviceSessionOfGrant('g')).toBe(id);
    await store.deleteDeviceSession(id);
    expect(await store.deviceSession(id, 'secret-4')).toBeUndefined();
    expect(await store.addDeviceSecret(id, 'secret-5', 2)).toBe(false);
    expect(await store.deviceSession(id, 'secret-5')).toBeUndefined();
  });
});

describe('RedisStore', () => {
  it('writes one key, the hash under the prefix as hash tag, with its TTL', async () => {
    const store = new RedisStore({ client: redis, prefix: 'store-ttl:', commandTimeout: 1000 });
    const hash = hashToken(generateToken());
    const key = `store-ttl:{${hash}}`;
    await store.save(hash, record(), 42);
    expect(await redis.keys('store-ttl:*')).toEqual([key]);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(40);
    expect(ttl).toBeLessThanOrEqual(42);
    await store.consume(hash, '192.0.2.1');
    // What stays, for the rest of the token's lifetime, is a marker naming the consumer and its grant.
    expect((await redis.getBuffer(key))!.toString('latin1')).toMatch(/^!.*192\.0\.2\.1$/s);
    expect(await store.consume(hash, '192.0.2.9')).toEqual({ replayed: 'grant-1', by: '192.0.2.1' });
    expect(await redis.ttl(key)).toBeLessThanOrEqual(42);
  });

  it('fails with StoreUnavailableError within the command timeout when Redis is stopped', async () => {
    const server = await startRedisServer();
    const client = redisClient(server.url);
    const store = new RedisStore({ client, prefix: 'down:', commandTimeout: 300 });
    try {
      await store.save('h', record(), 60);
      await server.stop();
      const started = Date.now();
      await expect(store.consume('h')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.save('h2', record(), 60)).rejects.toMatchObject({ code: 'ERR_SESSION_TRANSFER_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('times out when Redis does not answer', async () => {
    const server = await startRedisServer();
    const client = redisClient(server.url);
    const store = new RedisStore({ client, prefix: 'slow:', commandTimeout: 200 });
    try {
      await client.ping();
      // CLIENT PAUSE holds every command of every client for the given milliseconds.
      await client.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const started = Date.now();
      await expect(store.save('h', record(), 60)).rejects.toThrow(/timed out after 200 ms/);
      expect(Date.now() - started).toBeLessThan(800);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});

describe('RedisStore session records', () => {
  const store = new RedisStore({ client: redis, prefix: 'sessions:', commandTimeout: 1000 });

  it('live for the absolute lifetime without an idle one, untouched by reads', async () => {
    await store.saveSession('abs', { grantId: 'g', clientId: 'n', accountId: 'a' }, 600);
    await redis.expire('sessions:session:{abs}', 500);
    await store.touchSession('abs');
    expect(await redis.ttl('sessions:session:{abs}')).toBe(500);
  });

  it('restart their idle lifetime on every touch', async () => {
    await store.saveSession('idle', { grantId: 'g', clientId: 'n', accountId: 'a', idle: 30 }, 600);
    expect(await redis.ttl('sessions:session:{idle}')).toBe(30);
    await redis.expire('sessions:session:{idle}', 5);
    await store.touchSession('idle');
    expect(await redis.ttl('sessions:session:{idle}')).toBe(30);
  });

  it('are found without restarting their idle lifetime', async () => {
    await store.saveSession('found', { grantId: 'g', clientId: 'n', accountId: 'a', idle: 30 }, 600);
    await redis.expire('sessions:session:{found}', 5);
    expect(await store.findSession('found')).toEqual({ grantId: 'g', clientId: 'n', accountId: 'a', idle: 30 });
    expect(await redis.ttl('sessions:session:{found}')).toBe(5);
    expect(await store.findSession('unknown')).toBeUndefined();
  });
});

describe('MemoryStore', () => {
  it('expires records by its clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => now);
    await store.save('a', record(), 60);
    await store.save('b', record(), 60);
    now += 59_999;
    expect(await store.consume('a')).toEqual(record());
    expect(await store.consume('a')).toEqual({ replayed: 'grant-1', by: '' });
    now += 1;
    expect(await store.consume('a')).toBeUndefined();
    expect(await store.consume('b')).toBeUndefined();
  });

  it('ends an idle session record by its clock, and a touch restarts the idle lifetime', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => now);
    await store.saveSession('s', { grantId: 'g', clientId: 'n', accountId: 'a', idle: 10 }, 600);
    now += 9_000;
    expect(await store.touchSession('s')).toBeDefined();
    now += 9_000;
    expect(await store.touchSession('s')).toBeDefined();
    now += 10_000;
    expect(await store.touchSession('s')).toBeUndefined();
  });

  it('finds a session record without restarting its idle lifetime', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => now);
    await store.saveSession('s', { grantId: 'g', clientId: 'n', accountId: 'a', idle: 10 }, 600);
    now += 9_000;
    expect(await store.findSession('s')).toBeDefined();
    now += 1_000;
    expect(await store.findSession('s')).toBeUndefined();
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';

import { MemoryStore, RedisStore, StoreUnavailableError, type TransferRecord, type TransferStore } from '../../lib/index.js';
import { generateToken, hashToken } from '../../lib/token.js';
import { redisClient } from '../helpers/idp.js';
import { startRedisServer } from '../helpers/redis-server.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const record = (): TransferRecord => ({
  accountId: 'demo',
  clientId: 'example-native',
  grantId: 'grant-1',
  refreshTokenHash: hashToken('rt'),
  scope: 'openid',
  ip: '127.0.0.1',
  iat: 1_700_000_000,
  exp: 1_700_000_060,
});

const stores: [string, () => TransferStore][] = [
  ['RedisStore', () => new RedisStore({ client: redis, prefix: 'store-test:', commandTimeout: 1000 })],
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
    expect(await store.addChild('g-cap', 'session:a', 60, 2)).toBe(true);
    expect(await store.addChild('g-cap', 'session:b', 60, 2)).toBe(true);
    expect(await store.addChild('g-cap', 'session:a', 120, 2)).toBe(true);
    expect(await store.addChild('g-cap', 'session:c', 60, 2)).toBe(false);
    expect((await store.children('g-cap')).sort()).toEqual(['session:a', 'session:b']);
    await store.removeChildren('g-cap', ['session:a']);
    expect(await store.addChild('g-cap', 'session:c', 60, 2)).toBe(true);
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
});

describe('RedisStore', () => {
  it('writes one key, under the prefix with the hash as hash tag, with its TTL', async () => {
    const store = new RedisStore({ client: redis, prefix: 'store-ttl:', commandTimeout: 1000 });
    const hash = hashToken(generateToken());
    await store.save(hash, record(), 42);
    expect(await redis.keys('store-ttl:*')).toEqual([`store-ttl:{${hash}}`]);
    const ttl = await redis.ttl(`store-ttl:{${hash}}`);
    expect(ttl).toBeGreaterThan(40);
    expect(ttl).toBeLessThanOrEqual(42);
    await store.consume(hash);
    // What stays, for the rest of the token's lifetime, is a marker naming its grant.
    expect(await redis.get(`store-ttl:{${hash}}`)).toBe('!grant-1 ');
    expect(await redis.ttl(`store-ttl:{${hash}}`)).toBeLessThanOrEqual(42);
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
});

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
  it('gives the record to exactly one of 100 concurrent consumes', async () => {
    const store = makeStore();
    const hash = hashToken(generateToken());
    await store.save(hash, record(), 60);
    const results = await Promise.all(Array.from({ length: 100 }, () => store.consume(hash)));
    expect(results.filter(Boolean)).toEqual([record()]);
  });

  it('finds nothing for an unknown hash', async () => {
    expect(await makeStore().consume(hashToken('unknown'))).toBeUndefined();
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
    expect(await redis.keys('store-ttl:*')).toEqual([]);
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

describe('MemoryStore', () => {
  it('expires records by its clock', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => now);
    await store.save('a', record(), 60);
    await store.save('b', record(), 60);
    now += 59_999;
    expect(await store.consume('a')).toEqual(record());
    now += 1;
    expect(await store.consume('b')).toBeUndefined();
  });
});

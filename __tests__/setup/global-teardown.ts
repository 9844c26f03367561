import { Redis } from 'ioredis';

import type { RedisServer } from '../helpers/redis-server.ts';

/**
 * After the whole suite: every key anything wrote (the library's store, the Redis adapter) must
 * carry a TTL, or Redis would fill up in production. Then the shared redis-server stops.
 */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { redisServer?: RedisServer }).redisServer;
  if (!server) return;
  const redis = new Redis(server.url, { lazyConnect: true });
  try {
    await redis.connect();
    const forever: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      const ttls = await Promise.all(keys.map((key) => redis.ttl(key)));
      keys.forEach((key, i) => { if (ttls[i] === -1) forever.push(key); });
    } while (cursor !== '0');
    if (forever.length) throw new Error(`keys without a TTL after the suite: ${forever.slice(0, 10).join(', ')}`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

import type { RedisServer } from '../helpers/redis-server.ts';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { redisServer?: RedisServer }).redisServer?.stop();
}

import type { Redis } from 'ioredis';

import { RedisStore, type TransferRecord } from '../../lib/index.js';
import { decodeRecord } from '../../lib/store/record-codec.js';
import { hashToken } from '../../lib/token.js';

/** The Redis key of a token under a key prefix, as the library's store names it. */
export function tokenKey(redis: Redis, prefix: string, token: string): string {
  return new RedisStore({ client: redis, prefix, commandTimeout: 1000 }).key(hashToken(token));
}

/** A token's stored record, read straight from Redis. */
export async function storedRecord(redis: Redis, prefix: string, token: string): Promise<TransferRecord | undefined> {
  return decodeRecord(await redis.getBuffer(tokenKey(redis, prefix, token)));
}

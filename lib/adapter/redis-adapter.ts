import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { RedisClient } from '../store/redis-store.js';

/** Models whose entries belong to a grant and go with it in `revokeByGrantId`. */
const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

/** Marks an existing entry consumed; a missing or expired one stays missing (never a key without TTL). */
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
return 1`;

/**
 * Adds an entry to its grant's index, a sorted set scored by expiry: expired members are pruned
 * on every add, so the index cannot grow without bound, and its TTL only ever grows.
 */
const ADD_TO_GRANT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local ttl = redis.call('TTL', KEYS[1])
if ttl < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`;

/** Deletes an index entry only if it still points at this id (a newer entry may have replaced it). */
const DELETE_IF_POINTS_AT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Grant indexes of entries without an expiry keep this long (30 days) rather than forever. */
const UNBOUNDED_INDEX_TTL = 30 * 24 * 60 * 60;

export interface RedisAdapterOptions {
  /** An ioredis client (standalone, Sentinel or Cluster), owned by the host application. */
  client: RedisClient;
  /** Prefix of every key, after the client's own `keyPrefix`. Default `"oidc:"`. */
  prefix?: string;
}

/**
 * oidc-provider's storage (sessions, grants, codes, tokens, interactions, …) in Redis, so that
 * several provider processes share it and nothing is lost on restart. Each key holds one entry
 * and has the entry's TTL; its id is the key's hash tag, and no command touches two keys at
 * once, so it runs unchanged on Redis Cluster.
 */
export class RedisAdapter implements Adapter {
  readonly #model: string;
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(model: string, { client, prefix = 'oidc:' }: RedisAdapterOptions) {
    this.#model = model;
    this.#client = client;
    this.#prefix = prefix;
  }

  key(id: string): string {
    return `${this.#prefix}${this.#model}:{${id}}`;
  }

  #index(kind: 'grant' | 'sessionUid' | 'userCode', value: string): string {
    return `${this.#prefix}${kind}:{${value}}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttl = typeof expiresIn === 'number' && expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
    if (GRANTABLE.has(this.#model) && payload.grantId) {
      // Indexed first: an entry that exists is always reachable from its grant.
      const now = Math.floor(Date.now() / 1000);
      await this.#client.eval(ADD_TO_GRANT, 1, this.#index('grant', payload.grantId), key,
        ttl ? now + ttl : '+inf', now, ttl ?? UNBOUNDED_INDEX_TTL);
    }
    const write = this.#client.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
    if (ttl) write.expire(key, ttl);
    await exec(write);

    const indexes: [string, string | undefined][] = [['sessionUid', payload.uid], ['userCode', payload.userCode]];
    for (const [kind, value] of indexes) {
      if (!value) continue;
      if (ttl) await this.#client.set(this.#index(kind as 'sessionUid', value), id, 'EX', ttl);
      else await this.#client.set(this.#index(kind as 'sessionUid', value), id);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const [payload, consumed] = await this.#client.hmget(this.key(id), 'payload', 'consumed');
    if (!payload) return undefined;
    const entry = JSON.parse(payload) as AdapterPayload;
    return consumed ? { ...entry, consumed: Number(consumed) } : entry;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#client.get(this.#index('sessionUid', uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#client.get(this.#index('userCode', userCode));
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.#client.eval(CONSUME, 1, this.key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    const payload = await this.find(id);
    if (payload?.uid) await this.#client.eval(DELETE_IF_POINTS_AT, 1, this.#index('sessionUid', payload.uid), id);
    if (payload?.userCode) await this.#client.eval(DELETE_IF_POINTS_AT, 1, this.#index('userCode', payload.userCode), id);
    if (payload?.grantId && GRANTABLE.has(this.#model)) await this.#client.zrem(this.#index('grant', payload.grantId), key);
    await this.#client.del(key);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const index = this.#index('grant', grantId);
    const members = await this.#client.zrange(index, '0', '-1');
    // One DEL per key: the members live in different hash slots.
    await Promise.all(members.map((member) => this.#client.del(member)));
    await this.#client.del(index);
  }
}

async function exec(transaction: ReturnType<RedisClient['multi']>): Promise<void> {
  const results = await transaction.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('redis transaction was discarded');
}

/** The adapter for oidc-provider's `adapter` setting: `adapter: redisAdapter({ client })`. */
export function redisAdapter(options: RedisAdapterOptions): (model: string) => RedisAdapter {
  return (model) => new RedisAdapter(model, options);
}

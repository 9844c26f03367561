import type { Adapter, AdapterPayload } from 'oidc-provider';

import { withDeadline } from '../store/deadline.js';
import { ReplicaAckPolicy, resolveReplicaAcks, type ReplicaAcksOption } from '../store/replica-acks.js';
import { Script } from '../store/script.js';
import type { RedisClient } from '../store/redis-store.js';

/** Models whose entries belong to a grant and go with it in `revokeByGrantId`. */
const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

/** Models whose entries are indexed (by grant, session uid or user code): destroying one reads it first. */
const INDEXED = new Set([...GRANTABLE, 'Session']);

/**
 * Replaces an entry (its `consumed` mark included) and sets its TTL when it has one: one atomic
 * command, where a MULTI of DEL, HSET and EXPIRE took five, and about four times the client's CPU.
 */
const UPSERT = new Script(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
if ARGV[2] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`);

/** Marks an existing entry consumed; a missing or expired one stays missing (never a key without TTL). */
const CONSUME = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
return 1`);

/**
 * Adds an entry to its grant's index, a sorted set scored by expiry: expired members are pruned
 * on every add, so the index cannot grow without bound, and its TTL only ever grows.
 */
const ADD_TO_GRANT = new Script(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local ttl = redis.call('TTL', KEYS[1])
if ttl < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`);

/** Deletes an index entry only if it still points at this id (a newer entry may have replaced it). */
const DELETE_IF_POINTS_AT = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Grant indexes of entries without an expiry keep this long (30 days) rather than forever. */
const UNBOUNDED_INDEX_TTL = 30 * 24 * 60 * 60;

/** @category Storage */
export interface RedisAdapterOptions {
  /** An ioredis client (standalone, Sentinel or Cluster), owned by the host application. */
  client: RedisClient;
  /** Prefix of every key, after the client's own `keyPrefix`. Default `"oidc:"`. */
  prefix?: string;
  /**
   * Longest wait for one Redis command in milliseconds (default 1000). Past it, or at once when
   * the client has lost its connection, the operation fails and oidc-provider answers
   * `server_error`: no request waits on a Redis that is down.
   */
  commandTimeout?: number;
  /**
   * Whether the writes a failover must not undo wait for replicas, as the library's own option of
   * that name: an entry's consume (an authorization code used once), its destruction (a logout, a
   * revoked token) and a grant's revocation. Default `{ replicas: 'auto', timeout: 250 }`.
   */
  replicaAcks?: ReplicaAcksOption;
}

/**
 * oidc-provider's storage (sessions, grants, codes, tokens, interactions, …) in Redis, so that
 * several provider processes share it and nothing is lost on restart. Each key holds one entry
 * and has the entry's TTL; its id is the key's hash tag, and no command touches two keys at
 * once, so it runs unchanged on Redis Cluster.
 * @category Storage
 */
export class RedisAdapter implements Adapter {
  readonly #model: string;
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #acks: ReplicaAckPolicy;

  constructor(model: string, options: RedisAdapterOptions) {
    const { client, prefix = 'oidc:', commandTimeout = 1000 } = options;
    this.#model = model;
    this.#client = client;
    this.#prefix = prefix;
    this.#timeout = commandTimeout;
    this.#acks = ackPolicyFor(options);
  }

  /** Deletes `key`, waiting for replicas as `replicaAcks` says: a failover must not bring it back. */
  #delete(key: string): Promise<unknown> {
    return this.#run('DEL', () => this.#acks.send(key, 'DEL', (pipeline) => pipeline.del(key)));
  }

  #run<T>(command: string, send: (client: RedisClient) => Promise<T>): Promise<T> {
    return withDeadline(this.#client, `${command} (${this.#model})`, this.#timeout, () => send(this.#client));
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
      const index = this.#index('grant', payload.grantId);
      await this.#run('EVAL', (c) => ADD_TO_GRANT.run(c, [index], key, ttl ? now + ttl : '+inf', now, ttl ?? UNBOUNDED_INDEX_TTL));
    }
    // Indexed by session uid or user code only among INDEXED models (oidc-provider looks up
    // Session by uid and DeviceCode by user code), so destroy() reads exactly those first.
    const lookups: (readonly ['sessionUid' | 'userCode', string | undefined])[] = INDEXED.has(this.#model)
      ? [['sessionUid', payload.uid], ['userCode', payload.userCode]]
      : [];
    const indexes = lookups
      .filter((entry): entry is readonly ['sessionUid' | 'userCode', string] => Boolean(entry[1]))
      .map(([kind, value]) => this.#index(kind, value));
    // The entry and its lookup indexes are independent writes: one round trip together.
    await Promise.all([
      this.#run('EVAL', (c) => UPSERT.run(c, [key], JSON.stringify(payload), ttl ?? '')),
      ...indexes.map((index) => this.#run('SET', (c) => (ttl ? c.set(index, id, 'EX', ttl) : c.set(index, id)))),
    ]);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const [payload, consumed] = await this.#run('HMGET', (c) => c.hmget(this.key(id), 'payload', 'consumed'));
    if (!payload) return undefined;
    const entry = JSON.parse(payload) as AdapterPayload;
    return consumed ? { ...entry, consumed: Number(consumed) } : entry;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#run('GET', (c) => c.get(this.#index('sessionUid', uid)));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#run('GET', (c) => c.get(this.#index('userCode', userCode)));
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.#run('EVAL', () => CONSUME.runAcknowledged(this.#acks, [this.key(id)], [Math.floor(Date.now() / 1000)]));
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    const payload = INDEXED.has(this.#model) ? await this.find(id) : undefined;
    const indexes = [
      payload?.uid && this.#index('sessionUid', payload.uid),
      payload?.userCode && this.#index('userCode', payload.userCode),
    ].filter((index): index is string => Boolean(index));
    for (const index of indexes) await this.#run('EVAL', (c) => DELETE_IF_POINTS_AT.run(c, [index], id));
    if (payload?.grantId && GRANTABLE.has(this.#model)) {
      const index = this.#index('grant', payload.grantId);
      await this.#run('ZREM', (c) => c.zrem(index, key));
    }
    await this.#delete(key);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const index = this.#index('grant', grantId);
    const members = await this.#run('ZRANGE', (c) => c.zrange(index, '0', '-1'));
    // One DEL per key: the members live in different hash slots.
    await Promise.all(members.map((member) => this.#delete(member)));
    await this.#delete(index);
  }
}

/**
 * The adapter for oidc-provider's `adapter` setting: `adapter: redisAdapter({ client })`.
 * @category Storage
 */
export function redisAdapter(options: RedisAdapterOptions): (model: string) => RedisAdapter {
  ackPolicyFor(options); // validates `replicaAcks` at start-up, not at the first request
  return (model) => new RedisAdapter(model, options);
}

/**
 * One replica-ack policy per options object, shared by every model's adapter made from it, so the
 * master is probed once rather than once per model.
 */
const ackPolicies = new WeakMap<RedisAdapterOptions, ReplicaAckPolicy>();
function ackPolicyFor(options: RedisAdapterOptions): ReplicaAckPolicy {
  let policy = ackPolicies.get(options);
  if (!policy) {
    policy = new ReplicaAckPolicy(options.client, resolveReplicaAcks('replicaAcks', options.replicaAcks, options.commandTimeout ?? 1000));
    ackPolicies.set(options, policy);
  }
  return policy;
}

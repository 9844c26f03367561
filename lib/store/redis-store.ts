import type { Cluster, Redis } from 'ioredis';

import { StoreUnavailableError } from '../errors.js';
import { Script } from './script.js';
import { withDeadline } from './deadline.js';
import {
  decodeRecord, encodeRecord, parseJson, replayMarker, sessionRecordTtl,
  type Child, type Consumed, type TransferredSession, type TransferRecord, type TransferStore,
} from './store.js';

export type RedisClient = Redis | Cluster;


export interface RedisStoreOptions {
  /** An ioredis client (standalone, Sentinel or Cluster), owned by the host application. */
  client: RedisClient;
  /** Prepended to every key, after the client's own `keyPrefix`. */
  prefix: string;
  /** Longest wait for one Redis command, in milliseconds. */
  commandTimeout: number;
}

/**
 * Reads a session record and, when it has an idle lifetime, restarts that lifetime, in one
 * atomic round trip. The absolute lifetime is capped by oidc-provider's own session expiry.
 */
const TOUCH_SESSION = new Script(`
local json = redis.call('GET', KEYS[1])
if not json then return false end
local idle = cjson.decode(json).idle
if idle then redis.call('EXPIRE', KEYS[1], idle) end
return json`);

/**
 * Consumes a token in one atomic round trip: returns its record and leaves in its place, for the
 * rest of its lifetime, a marker `!<parent grant> <consumer>`, so a second presentation is told
 * apart from garbage. A marker is returned as it is.
 */
const CONSUME = new Script(`
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, 1) == '!' then return value end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('SET', KEYS[1], '!' .. cjson.decode(value).g .. ' ' .. ARGV[1], 'PX', ttl)
else
  redis.call('DEL', KEYS[1])
end
return value`);

/** Counts a mint under a grant in a window that starts with the first one. */
const COUNT_ISSUED = new Script(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`);

/**
 * Adds a child to a grant's lineage, a sorted set scored by expiry: drops the expired, refuses
 * (0) past ARGV[3] live members, keeps the later expiry of a member added twice, and raises
 * (never lowers) the key's TTL. One round trip; time is Redis's, the same for every process.
 */
const ADD_CHILD = new Script(`
local now = tonumber(redis.call('TIME')[1])
local expires = now + tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not current and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
if not current or tonumber(current) < expires then redis.call('ZADD', KEYS[1], expires, ARGV[1]) end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`);

/**
 * Tokens in Redis: `SET <prefix>{<hash>} <json> EX <ttl> NX` to store, a script to consume (one
 * atomic round trip that leaves a replay marker). The braces make the hash a Cluster hash tag,
 * and no command touches two keys, so nothing fails with CROSSSLOT.
 */
export class RedisStore implements TransferStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #timeout: number;

  constructor({ client, prefix, commandTimeout }: RedisStoreOptions) {
    this.#client = client;
    this.#prefix = prefix;
    this.#timeout = commandTimeout;
  }

  key(tokenHash: string): string {
    return `${this.#prefix}{${tokenHash}}`;
  }

  sessionKey(uid: string): string {
    return `${this.#prefix}session:{${uid}}`;
  }

  lineageKey(grantId: string): string {
    return `${this.#prefix}lineage:{${grantId}}`;
  }

  /** Version 0.1 kept lineage as a plain set under this key; still read until it expires. */
  legacyChildrenKey(grantId: string): string {
    return `${this.#prefix}children:{${grantId}}`;
  }

  issuedKey(grantId: string): string {
    return `${this.#prefix}issued:{${grantId}}`;
  }

  revokedKey(grantId: string): string {
    return `${this.#prefix}revoked:{${grantId}}`;
  }

  async save(tokenHash: string, record: TransferRecord, ttlSeconds: number): Promise<void> {
    const reply = await this.#run('SET', () =>
      this.#client.set(this.key(tokenHash), encodeRecord(record), 'EX', ttlSeconds, 'NX'));
    if (reply !== 'OK') {
      // 256 random bits do not collide; a refusal means something else owns the key space.
      throw new StoreUnavailableError('session transfer token key already exists');
    }
  }

  async consume(tokenHash: string, consumer = ''): Promise<Consumed> {
    const value = await this.#run('EVAL', () => CONSUME.run(this.#client, this.key(tokenHash), consumer)) as string | null;
    return value?.startsWith('!') ? replayMarker(value) : decodeRecord(value);
  }

  async countIssued(parentGrantId: string, windowSeconds: number): Promise<number> {
    return Number(await this.#run('EVAL', () => COUNT_ISSUED.run(this.#client, this.issuedKey(parentGrantId), windowSeconds)));
  }

  async revokeTransfers(parentGrantId: string, at: number, ttlSeconds: number): Promise<void> {
    await this.#run('SET', () => this.#client.set(this.revokedKey(parentGrantId), String(at), 'EX', ttlSeconds));
  }

  async transfersRevokedAt(parentGrantId: string): Promise<number | undefined> {
    const at = await this.#run('GET', () => this.#client.get(this.revokedKey(parentGrantId)));
    return at === null ? undefined : Number(at);
  }

  async saveSession(uid: string, session: TransferredSession, ttlSeconds: number): Promise<void> {
    await this.#run('SET', () =>
      this.#client.set(this.sessionKey(uid), JSON.stringify(session), 'EX', sessionRecordTtl(session, ttlSeconds)));
  }

  async deleteSession(uid: string): Promise<void> {
    await this.#run('DEL', () => this.#client.del(this.sessionKey(uid)));
  }

  async touchSession(uid: string): Promise<TransferredSession | undefined> {
    const json = await this.#run('EVAL', () => TOUCH_SESSION.run(this.#client, this.sessionKey(uid)));
    return parseJson(json as string | null);
  }

  async addChild(parentGrantId: string, child: Child, ttlSeconds: number, max: number): Promise<boolean> {
    return await this.#run('EVAL', () => ADD_CHILD.run(this.#client, this.lineageKey(parentGrantId), child, ttlSeconds, max)) === 1;
  }

  async children(parentGrantId: string): Promise<Child[]> {
    const [current, legacy] = await Promise.all([
      this.#run('ZRANGE', () => this.#client.zrange(this.lineageKey(parentGrantId), '0', '-1')),
      this.#run('SMEMBERS', () => this.#client.smembers(this.legacyChildrenKey(parentGrantId))),
    ]);
    return [...new Set([...current, ...legacy])] as Child[];
  }

  async removeChildren(parentGrantId: string, children: Child[]): Promise<void> {
    if (!children.length) return;
    await Promise.all([
      this.#run('ZREM', () => this.#client.zrem(this.lineageKey(parentGrantId), ...children)),
      this.#run('SREM', () => this.#client.srem(this.legacyChildrenKey(parentGrantId), ...children)),
    ]);
  }

  /** Runs one command with the store's deadline. */
  #run<T>(command: string, send: () => Promise<T>): Promise<T> {
    return withDeadline(this.#client, command, this.#timeout, send);
  }
}

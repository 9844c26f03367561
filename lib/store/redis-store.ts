import type { Cluster, Redis } from 'ioredis';

import { StoreUnavailableError } from '../errors.js';
import { Script } from './script.js';
import { withDeadline } from './deadline.js';
import {
  decodeRecord, encodeRecord, parseJson, sessionRecordTtl,
  type Child, type TransferredSession, type TransferRecord, type TransferStore,
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

/** Adds a member to a set and raises (never lowers) the set's TTL, in one round trip. */
const ADD_CHILD = new Script(`
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`);

/**
 * Tokens in Redis: `SET <prefix>{<hash>} <json> EX <ttl> NX` to store, `GETDEL` to consume (one
 * atomic round trip, Redis >= 6.2). The braces make the hash a Cluster hash tag, so every key
 * of one transfer lands in one slot.
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

  childrenKey(grantId: string): string {
    return `${this.#prefix}children:{${grantId}}`;
  }

  async save(tokenHash: string, record: TransferRecord, ttlSeconds: number): Promise<void> {
    const reply = await this.#run('SET', () =>
      this.#client.set(this.key(tokenHash), encodeRecord(record), 'EX', ttlSeconds, 'NX'));
    if (reply !== 'OK') {
      // 256 random bits do not collide; a refusal means something else owns the key space.
      throw new StoreUnavailableError('session transfer token key already exists');
    }
  }

  async consume(tokenHash: string): Promise<TransferRecord | undefined> {
    return decodeRecord(await this.#run('GETDEL', () => this.#client.getdel(this.key(tokenHash))));
  }

  async saveSession(uid: string, session: TransferredSession, ttlSeconds: number): Promise<void> {
    await this.#run('SET', () =>
      this.#client.set(this.sessionKey(uid), JSON.stringify(session), 'EX', sessionRecordTtl(session, ttlSeconds)));
  }

  async touchSession(uid: string): Promise<TransferredSession | undefined> {
    const json = await this.#run('EVAL', () => TOUCH_SESSION.run(this.#client, this.sessionKey(uid)));
    return parseJson(json as string | null);
  }

  async addChild(parentGrantId: string, child: Child, ttlSeconds: number): Promise<void> {
    await this.#run('EVAL', () => ADD_CHILD.run(this.#client, this.childrenKey(parentGrantId), child, ttlSeconds));
  }

  async children(parentGrantId: string): Promise<Child[]> {
    return await this.#run('SMEMBERS', () => this.#client.smembers(this.childrenKey(parentGrantId))) as Child[];
  }

  async removeChildren(parentGrantId: string, children: Child[]): Promise<void> {
    if (children.length) await this.#run('SREM', () => this.#client.srem(this.childrenKey(parentGrantId), ...children));
  }

  /** Runs one command with the store's deadline. */
  #run<T>(command: string, send: () => Promise<T>): Promise<T> {
    return withDeadline(this.#client, command, this.#timeout, send);
  }
}

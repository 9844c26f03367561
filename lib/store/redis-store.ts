import type { Cluster, Redis } from 'ioredis';

import { StoreUnavailableError } from '../errors.js';
import { ReplicaAckPolicy, topologyOf, type ReplicaAcks, type RedisTopology } from './replica-acks.js';
import { Script } from './script.js';
import { withDeadline } from './deadline.js';
import { decodeRecord, decodeReplayMarker, encodeRecord } from './record-codec.js';
import {
  parseJson, sessionRecordTtl, type AddChildResult, type DeviceSession, type DeviceSessionStore, type Child, type Consumed, type SessionLineage, type TransferredSession, type TransferRecord, type TransferStore,
} from './store.js';

/** @category Storage */
export type RedisClient = Redis | Cluster;

/** Keys one DEL removes at most. */
const DELETE_BATCH = 500;

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** `!`, the first byte of a replay marker; a record starts with its version byte. */
const REPLAY_MARK = 0x21;


/** @internal */
export interface RedisStoreOptions {
  /** An ioredis client (standalone, Sentinel or Cluster), owned by the host application. */
  client: RedisClient;
  /** Prepended to every key, after the client's own `keyPrefix`. */
  prefix: string;
  /** Longest wait for one Redis command, in milliseconds. */
  commandTimeout: number;
  /** Whether the safety-critical writes wait for replicas; off when not given. */
  replicaAcks?: ReplicaAcks;
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
 * rest of its lifetime, a replay marker: `!`, the record's head (the packed parent grant id, after
 * its 2-byte length) and the consumer, so a second presentation is told apart from garbage. A
 * marker is returned as it is.
 */
const CONSUME = new Script(`
local value = redis.call('GET', KEYS[1])
if not value or string.byte(value, 1) == 33 then return value end
local head = string.sub(value, 2, 3 + string.byte(value, 2) * 256 + string.byte(value, 3))
redis.call('SET', KEYS[1], '!' .. head .. ARGV[1], 'KEEPTTL')
return value`);

/** Counts a mint under a grant in a window that starts with the first one. */
const COUNT_ISSUED = new Script(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count`);

/**
 * Adds a child to a grant's lineage, a sorted set scored by expiry: refuses ('revoked') when the
 * parent's tokens minted at or before ARGV[4] seconds were made void (KEYS[2], the marker a
 * cascade writes before it reads the lineage, so a child is either seen by the cascade or
 * refused); drops the expired; refuses ('full') past ARGV[3] live members; keeps the later expiry
 * of a member added twice; raises (never lowers) the key's TTL. With KEYS[3], a session's record,
 * writes it (ARGV[5], for ARGV[6] seconds) with the child: a cascade finds both or neither. One
 * round trip; time is Redis's, the same for every process.
 */
const ADD_CHILD = new Script(`
if ARGV[4] ~= '' then
  local revoked = redis.call('GET', KEYS[2])
  if revoked and tonumber(ARGV[4]) <= tonumber(revoked) then return 'revoked' end
end
local now = tonumber(redis.call('TIME')[1])
local expires = now + tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not current and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 'full' end
if not current or tonumber(current) < expires then redis.call('ZADD', KEYS[1], expires, ARGV[1]) end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[6]) end
return 'added'`);

/**
 * Ends a grant's lineage: marks its tokens minted at or before ARGV[1] void for ARGV[2] seconds
 * (keeping a later mark), then returns its children, current and 0.1's (KEYS[3]), in one atomic
 * step: a child added after it is refused by ADD_CHILD.
 */
const END_LINEAGE = new Script(`
local marked = redis.call('GET', KEYS[1])
if not marked or tonumber(marked) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
local children = redis.call('ZRANGE', KEYS[2], 0, -1)
for _, child in ipairs(redis.call('SMEMBERS', KEYS[3])) do children[#children + 1] = child end
return children`);

/** Writes a device session and its first secret (one slot: the keys share `{device:<id>}`). */
const SAVE_DEVICE_SESSION = new Script(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[2], 1, ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1`);

/**
 * Adds a device secret to a live device session, after the others, dropping the oldest past
 * ARGV[2]; the secrets expire with the session. 0 when the session is gone.
 */
const ADD_DEVICE_SECRET = new Script(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
redis.call('ZADD', KEYS[2], (tonumber(last) or 0) + 1, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1`);

/** A device session's record and whether ARGV[1] is one of its secrets, in one read. */
const READ_DEVICE_SESSION = new Script(`
local json = redis.call('GET', KEYS[1])
if not json then return false end
return { json, redis.call('ZSCORE', KEYS[2], ARGV[1]) and 1 or 0 }`);

/**
 * Tokens in Redis: `SET <prefix>{<hash>} <record> EX <ttl> NX` to store, a script to consume (one
 * atomic round trip that leaves a replay marker). Braces make every key's id a Cluster hash tag;
 * on a Cluster a script touches one grant's keys only (lineage, mark), so nothing fails with
 * CROSSSLOT. Off a Cluster one server holds every key: a session's record joins the script that
 * adds it to the lineage, and several records share a DEL.
 * @internal
 */
export class RedisStore implements TransferStore, DeviceSessionStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #timeout: number;
  /**
   * Waits for replicas after the writes a failover must not undo: a token's save and consume
   * (single use), a child's place in a lineage, a lineage's end (the revocation mark) and the
   * cascade's deletions.
   */
  readonly #acks: ReplicaAckPolicy;
  /**
   * The server refused a script over two hash slots although the client is not a Cluster's (a
   * cluster-mode server behind a plain client, or a proxy): records are then written on their own.
   */
  #crossSlotRefused = false;

  constructor({ client, prefix, commandTimeout, replicaAcks = false }: RedisStoreOptions) {
    this.#client = client;
    this.#prefix = prefix;
    this.#timeout = commandTimeout;
    this.#acks = new ReplicaAckPolicy(client, replicaAcks);
  }

  /** Where the client writes, and of its masters how many the writes wait for a replica of now. */
  async replication(): Promise<{ topology: RedisTopology; acks: ReplicaAcks; masters: number; waiting: number }> {
    return { topology: topologyOf(this.#client), acks: this.#acks.setting, ...await this.#run('INFO', () => this.#acks.masters()) };
  }

  /** A token's key: its hash (`hashToken`, 128 bits), which keeps the key in Redis's smallest allocation. */
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

  metadataKey(grantId: string): string {
    return `${this.#prefix}metadata:{${grantId}}`;
  }

  /** A device session's record, in the slot of its lineage (`device:<id>`). */
  deviceKey(id: string): string {
    return `${this.#prefix}device:{device:${id}}`;
  }

  /** Its device secrets' hashes, a sorted set by the order they were issued in. */
  deviceSecretsKey(id: string): string {
    return `${this.#prefix}device-secrets:{device:${id}}`;
  }

  deviceGrantKey(grantId: string): string {
    return `${this.#prefix}device-grant:{${grantId}}`;
  }

  actorKey(actorKey: string): string {
    return `${this.#prefix}actor:{${actorKey}}`;
  }

  async save(tokenHash: string, record: TransferRecord, ttlSeconds: number): Promise<void> {
    const key = this.key(tokenHash);
    const [reply] = await this.#run('SET', () => this.#acks.send(key, 'SET', (pipeline) => pipeline.set(key, encodeRecord(record), 'EX', ttlSeconds, 'NX')));
    if (reply !== 'OK') {
      // 256 random bits do not collide; a refusal means something else owns the key space.
      throw new StoreUnavailableError('session transfer token key already exists');
    }
  }

  async consume(tokenHash: string, consumer = ''): Promise<Consumed> {
    const value = await this.#run('EVAL', () => CONSUME.runAcknowledged(this.#acks, [this.key(tokenHash)], [consumer], true)) as Buffer | null;
    return value?.[0] === REPLAY_MARK ? decodeReplayMarker(value) : decodeRecord(value);
  }

  async countIssued(parentGrantId: string, windowSeconds: number): Promise<number> {
    return Number(await this.#run('EVAL', () => COUNT_ISSUED.run(this.#client, [this.issuedKey(parentGrantId)], windowSeconds)));
  }

  async transfersRevokedAt(parentGrantId: string): Promise<number | undefined> {
    const at = await this.#run('GET', () => this.#client.get(this.revokedKey(parentGrantId)));
    return at === null ? undefined : Number(at);
  }

  async saveSession(uid: string, session: TransferredSession, ttlSeconds: number, lineage?: SessionLineage): Promise<AddChildResult | undefined> {
    const key = this.sessionKey(uid);
    const json = JSON.stringify(session);
    const recordTtl = sessionRecordTtl(session, ttlSeconds);
    const record = () => this.#run('SET', () => this.#client.set(key, json, 'EX', recordTtl));
    if (!lineage) {
      await record();
      return undefined;
    }
    const child = `session:${uid}` as const;
    if (this.#acrossSlots()) {
      // One server holds every key: the record is written by the script that adds the child.
      try {
        return await this.#addChild(session.grantId, child, ttlSeconds, lineage.max, lineage.mintedAt, [key, json, recordTtl]);
      } catch (err) {
        if (!this.#refusedAcrossSlots(err)) throw err;
      }
    }
    // The two keys may be on different nodes: the record first, so a cascade that finds the child
    // finds the record; withdrawn when the child is refused.
    await record();
    const added = await this.#addChild(session.grantId, child, ttlSeconds, lineage.max, lineage.mintedAt);
    if (added !== 'added') await this.deleteSessions([uid]);
    return added;
  }

  async deleteSessions(uids: string[]): Promise<void> {
    const keys = uids.map((uid) => this.sessionKey(uid));
    const remove = (batches: string[][]) => Promise.all(batches.map((batch) =>
      this.#run('DEL', () => this.#acks.send(batch[0]!, 'DEL', (pipeline) => pipeline.del(...batch)))));
    // A cascade forgets thousands at once: a few DELs of many keys, where the keys may share one
    // command (not on a Cluster: their hash tags differ).
    if (this.#acrossSlots()) {
      try {
        await remove(chunks(keys, DELETE_BATCH));
        return;
      } catch (err) {
        if (!this.#refusedAcrossSlots(err)) throw err;
      }
    }
    await remove(keys.map((key) => [key]));
  }

  async touchSession(uid: string): Promise<TransferredSession | undefined> {
    const json = await this.#run('EVAL', () => TOUCH_SESSION.run(this.#client, [this.sessionKey(uid)]));
    return parseJson(json as string | null);
  }

  async findSession(uid: string): Promise<TransferredSession | undefined> {
    return parseJson(await this.#run('GET', () => this.#client.get(this.sessionKey(uid))));
  }

  addChild(parentGrantId: string, child: Child, ttlSeconds: number, max: number, mintedAt?: number): Promise<AddChildResult> {
    return this.#addChild(parentGrantId, child, ttlSeconds, max, mintedAt);
  }

  /** ADD_CHILD, writing `record` (key, value, TTL) with the child when one is given. */
  async #addChild(
    parentGrantId: string, child: Child, ttlSeconds: number, max: number, mintedAt?: number, record?: [string, string, number],
  ): Promise<AddChildResult> {
    const keys = [this.lineageKey(parentGrantId), this.revokedKey(parentGrantId), ...record ? [record[0]] : []];
    return await this.#run('EVAL', () => ADD_CHILD.runAcknowledged(
      this.#acks, keys, [child, ttlSeconds, max, mintedAt ?? '', ...record ? [record[1], record[2]] : []],
    )) as AddChildResult;
  }

  async endLineage(parentGrantId: string, at: number, ttlSeconds: number): Promise<Child[]> {
    const children = await this.#run('EVAL', () => END_LINEAGE.runAcknowledged(
      this.#acks, [this.revokedKey(parentGrantId), this.lineageKey(parentGrantId), this.legacyChildrenKey(parentGrantId)], [at, ttlSeconds],
    )) as Child[];
    return [...new Set(children)];
  }

  async removeChildren(parentGrantId: string, children: Child[]): Promise<void> {
    if (!children.length) return;
    await Promise.all([
      this.#run('ZREM', () => this.#client.zrem(this.lineageKey(parentGrantId), ...children)),
      this.#run('SREM', () => this.#client.srem(this.legacyChildrenKey(parentGrantId), ...children)),
    ]);
  }

  async linkActor(actorKey: string, grantId: string, ttlSeconds: number): Promise<void> {
    await this.#run('SET', () => this.#client.set(this.actorKey(actorKey), grantId, 'EX', ttlSeconds));
  }

  async grantOfActor(actorKey: string): Promise<string | undefined> {
    return await this.#run('GET', () => this.#client.get(this.actorKey(actorKey))) ?? undefined;
  }

  async saveGrantMetadata(grantId: string, metadata: Record<string, string>, ttlSeconds: number): Promise<void> {
    await this.#run('SET', () => this.#client.set(this.metadataKey(grantId), JSON.stringify(metadata), 'EX', ttlSeconds));
  }

  async grantMetadata(grantId: string): Promise<Record<string, string> | undefined> {
    return parseJson(await this.#run('GET', () => this.#client.get(this.metadataKey(grantId))));
  }

  async saveDeviceSession(id: string, session: DeviceSession, secretHash: string, ttlSeconds: number): Promise<void> {
    const [key, secrets] = [this.deviceKey(id), this.deviceSecretsKey(id)];
    await this.#run('EVAL', () => SAVE_DEVICE_SESSION.runAcknowledged(this.#acks, [key, secrets], [JSON.stringify(session), secretHash, ttlSeconds]));
  }

  async addDeviceSecret(id: string, secretHash: string, max: number): Promise<boolean> {
    return await this.#run('EVAL', () => ADD_DEVICE_SECRET.runAcknowledged(
      this.#acks, [this.deviceKey(id), this.deviceSecretsKey(id)], [secretHash, max],
    )) === 1;
  }

  async deviceSession(id: string, secretHash: string): Promise<{ session: DeviceSession; current: boolean } | undefined> {
    const found = await this.#run('EVAL', () => READ_DEVICE_SESSION.run(this.#client, [this.deviceKey(id), this.deviceSecretsKey(id)], secretHash)) as [string, number] | null;
    return found ? { session: JSON.parse(found[0]) as DeviceSession, current: found[1] === 1 } : undefined;
  }

  async deleteDeviceSession(id: string): Promise<void> {
    // A failover must not bring an ended device secret back.
    const keys = [this.deviceKey(id), this.deviceSecretsKey(id)];
    await this.#run('DEL', () => this.#acks.send(keys[0]!, 'DEL', (pipeline) => pipeline.del(...keys)));
  }

  async linkDeviceGrant(grantId: string, id: string, ttlSeconds: number): Promise<void> {
    await this.#run('SET', () => this.#client.set(this.deviceGrantKey(grantId), id, 'EX', ttlSeconds));
  }

  async deviceSessionOfGrant(grantId: string): Promise<string | undefined> {
    return await this.#run('GET', () => this.#client.get(this.deviceGrantKey(grantId))) ?? undefined;
  }

  /** Whether one command may touch keys of several hash slots: off a Cluster, unless the server refused it. */
  #acrossSlots(): boolean {
    return !this.#client.isCluster && !this.#crossSlotRefused;
  }

  /** Whether `err` is the server's refusal of keys in several hash slots; remembered if so. */
  #refusedAcrossSlots(err: unknown): boolean {
    const cause = err instanceof StoreUnavailableError ? err.cause : err;
    if (!(cause instanceof Error && cause.message.startsWith('CROSSSLOT'))) return false;
    this.#crossSlotRefused = true;
    return true;
  }

  /** Runs one command with the store's deadline. */
  #run<T>(command: string, send: () => Promise<T>): Promise<T> {
    return withDeadline(this.#client, command, this.#timeout, send);
  }
}

import type { ChainableCommander, Cluster, Redis } from 'ioredis';

import { OptionsError, StoreUnavailableError } from '../errors.js';

/**
 * Whether safety-critical writes wait for replicas to acknowledge them (`WAIT`), so that a Redis
 * failover cannot undo them: `{ replicas, timeout }` or `false` (never wait). `replicas: 'auto'`
 * (the default) waits for one replica wherever the master has one: on a standalone or Sentinel
 * client, from the first time the master reports a connected replica (`INFO replication`); on a
 * Cluster, where the key's master has a replica in the client's slot table. `timeout` (ms,
 * default 250) must be shorter than the command deadline; a write not acknowledged in time fails
 * as a store failure.
 * @category Storage
 */
export type ReplicaAcksOption = false | { replicas?: number | 'auto'; timeout?: number };

/** The option as validated. */
export type ReplicaAcks = false | { replicas: number | 'auto'; timeout: number };

/** @category Storage */
export const REPLICA_ACKS_DEFAULT = { replicas: 'auto', timeout: 250 } as const;

/** Validates `replicaAcks` (at `path`) against the command deadline it must fit in. */
export function resolveReplicaAcks(path: string, value: ReplicaAcksOption | undefined, commandTimeout: number): ReplicaAcks {
  if (value === undefined) return resolveReplicaAcks(path, {}, commandTimeout);
  if (value === false) return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError(path, 'must be false or { replicas?, timeout? }');
  }
  const { replicas = REPLICA_ACKS_DEFAULT.replicas, timeout = REPLICA_ACKS_DEFAULT.timeout, ...rest } = value;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new OptionsError(`${path}.${unknown}`, 'is not a setting (known: replicas, timeout)');
  if (replicas !== 'auto' && !(typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 && replicas <= 16)) {
    throw new OptionsError(`${path}.replicas`, 'must be "auto" or an integer from 0 to 16');
  }
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout >= commandTimeout) {
    throw new OptionsError(`${path}.timeout`, `must be an integer from 1 to ${commandTimeout - 1} (less than commandTimeout, ${commandTimeout} ms)`);
  }
  return replicas === 0 ? false : { replicas, timeout };
}

/** How long a master's answer of "no replica" stands before it is asked again (ms). */
const RECHECK_AFTER = 10_000;

/** CRC16-XMODEM, Redis Cluster's key hash. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = (crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xffff;
  }
  return crc;
}

/** A key's Cluster hash slot: of its hash tag (the first non-empty `{…}`), or of the whole key. */
export function hashSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const tagged = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(Buffer.from(tagged)) % 16384;
}

/**
 * Where the client's writes go, as `guarantees()` reports it.
 * @category Storage
 */
export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

export function topologyOf(client: Redis | Cluster): RedisTopology {
  if (client.isCluster) return 'cluster';
  return (client as Redis).options.sentinels?.length ? 'sentinel' : 'standalone';
}

/**
 * A standalone or Sentinel client's master, as `INFO replication` describes it: whether it has
 * had a replica. Asked again after each (re)connection, which is how a failover shows, and, while
 * it has none, every `RECHECK_AFTER`. One per client, shared by every store and adapter on it.
 */
class MasterWatch {
  readonly #client: Redis;
  /** Masters (by replication id) seen with a replica: one cut off from it keeps waiting. */
  readonly #replicated = new Set<string>();
  #answer: Promise<{ replicated: boolean; at: number }> | undefined;

  constructor(client: Redis) {
    this.#client = client;
    client.on('ready', () => { this.#answer = undefined; });
  }

  async replicated(): Promise<boolean> {
    let known = this.#answer ? await this.#answer : undefined;
    if (!known || (!known.replicated && Date.now() - known.at > RECHECK_AFTER)) {
      const asked = this.#ask();
      this.#answer = asked;
      asked.catch(() => { if (this.#answer === asked) this.#answer = undefined; });
      known = await asked;
    }
    return known.replicated;
  }

  async #ask(): Promise<{ replicated: boolean; at: number }> {
    const info = await this.#client.info('replication').catch((cause: unknown) => {
      // A server that refuses INFO (some managed services rename it) cannot be asked: say what to set.
      if (!(cause instanceof Error && cause.name === 'ReplyError')) throw cause;
      throw new StoreUnavailableError(`replicaAcks 'auto' could not read INFO replication (${cause.message}): set replicaAcks.replicas to a number, or replicaAcks to false`, { cause });
    });
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
    const replid = field('master_replid');
    if (Number(field('connected_slaves')) > 0) this.#replicated.add(replid);
    return { replicated: this.#replicated.has(replid), at: Date.now() };
  }
}

const watches = new WeakMap<Redis, MasterWatch>();

function masterWatch(client: Redis): MasterWatch {
  let watch = watches.get(client);
  if (!watch) watches.set(client, watch = new MasterWatch(client));
  return watch;
}

/**
 * Decides how many replicas each safety-critical write waits for, and sends such writes followed
 * by `WAIT` on the same connection (one pipeline: one round trip, and on a Cluster the node that
 * holds the key). A write acknowledged by fewer replicas in time throws `StoreUnavailableError`:
 * the caller fails closed, as when Redis is down.
 */
export class ReplicaAckPolicy {
  readonly #client: Redis | Cluster;
  readonly #acks: ReplicaAcks;

  constructor(client: Redis | Cluster, acks: ReplicaAcks) {
    this.#client = client;
    this.#acks = acks;
  }

  get setting(): ReplicaAcks {
    return this.#acks;
  }

  /** Replicas a write of `key` waits for now (0: none). */
  async replicasFor(key: string): Promise<number> {
    if (!this.#acks) return 0;
    if (this.#acks.replicas !== 'auto') return this.#acks.replicas;
    if (this.#client.isCluster) {
      const owners = (await this.#slotTable())[hashSlot(`${(this.#client as Cluster).options.keyPrefix ?? ''}${key}`)];
      return owners && owners.length > 1 ? 1 : 0;
    }
    return await masterWatch(this.#client as Redis).replicated() ? 1 : 0;
  }

  /** The masters writes go to, and how many of them the writes wait for a replica of now. */
  async masters(): Promise<{ masters: number; waiting: number }> {
    if (!this.#client.isCluster) return { masters: 1, waiting: await this.replicasFor('') > 0 ? 1 : 0 };
    const masters = new Map<string, boolean>();
    for (const owners of await this.#slotTable()) {
      if (owners?.[0]) masters.set(owners[0], owners.length > 1 || masters.get(owners[0]) === true);
    }
    const replicated = [...masters.values()].filter(Boolean).length;
    return { masters: masters.size, waiting: !this.#acks ? 0 : this.#acks.replicas === 'auto' ? replicated : masters.size };
  }

  /** A Cluster's slot table (owners of each slot, the master first), which arrives with the first connection. */
  async #slotTable(): Promise<string[][]> {
    const cluster = this.#client as Cluster;
    if (!cluster.slots.length) await cluster.ping();
    return cluster.slots;
  }

  /**
   * Sends `queue`'s commands (all on `key`'s node), then `WAIT` when `key` needs replicas; the
   * commands' replies, or the first command error thrown. Throws `StoreUnavailableError` when
   * fewer replicas acknowledged than needed.
   */
  async send(key: string, what: string, queue: (pipeline: ChainableCommander) => void): Promise<unknown[]> {
    const replicas = await this.replicasFor(key);
    const pipeline = this.#client.pipeline();
    queue(pipeline);
    if (replicas > 0) pipeline.call('WAIT', replicas, (this.#acks as { timeout: number }).timeout);
    const results = (await pipeline.exec()) ?? [];
    const replies = results.map(([err, reply]) => {
      if (err) throw err;
      return reply;
    });
    if (replicas > 0) {
      const acknowledged = Number(replies.pop());
      if (acknowledged < replicas) {
        const { replicas: setting, timeout } = this.#acks as Exclude<ReplicaAcks, false>;
        // 'auto' on a Cluster read the replica from the client's slot table, which ioredis
        // refetches only on a redirection: after a failover or a replica's death it may name a
        // replica that is gone, and every write there would fail closed until something moved.
        if (this.#client.isCluster && setting === 'auto') (this.#client as Cluster).refreshSlotsCache();
        throw new StoreUnavailableError(`redis ${what} not acknowledged by ${replicas} replica${replicas > 1 ? 's' : ''} `
          + `within ${timeout} ms (${acknowledged} did): a failover could undo it`);
      }
    }
    return replies;
  }
}

/**
 * Replicated Redis for failover tests: a Sentinel-watched master with replicas, and a Redis
 * Cluster whose masters have a replica each. Every replica replicates through a TCP relay the
 * test controls, so it can hold back what a master sends its replicas (`stall()`): writes the
 * master acknowledged then deterministically miss the replicas, and a failover promotes a replica
 * without them, which is how a Redis failover loses acknowledged writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

import { freePort, startRedisServer, withNewPortsOnFailure, type RedisServer } from './redis-server.js';

export interface Address {
  host: string;
  port: number;
}

const HOST = '127.0.0.1';
/**
 * Every master and replica: a full sync starts at once (not after the default 5 s for more
 * replicas to join), and masters ping their replicas every second (not 10), so a new replica's
 * offset moves at once: a Cluster node lists a replica in CLUSTER SLOTS, where clients learn of
 * it, only once its offset is not 0.
 */
const NODE_ARGS = ['--repl-diskless-sync-delay', '0', '--repl-ping-replica-period', '1'];

/** A directory of its own for one server under `dir`: a replica writes the snapshot it syncs from there. */
const nodeDir = (dir: string) => mkdtemp(join(dir, 'node-'));

/** Polls `check` until it returns a value other than undefined/false; throws naming `what` after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 20_000, every = 50): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(every);
  }
}

/** One command to the server on `port`, on a connection of its own (the server may be gone: it then throws). */
export async function ask(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

/** `key`'s value as the server on `port` holds it, replica or master (`READONLY` first, for a Cluster replica). */
export async function read(port: number, key: string): Promise<string | null> {
  const client = new Redis({
    host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.call('READONLY').catch(() => undefined);
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

/** `INFO <section>` of the server on `port`, as fields. */
export async function info(port: number, section = 'replication'): Promise<Record<string, string>> {
  const text = String(await ask(port, 'INFO', section));
  return Object.fromEntries(text.split('\r\n').filter((line) => line.includes(':')).map((line) => {
    const at = line.indexOf(':');
    return [line.slice(0, at), line.slice(at + 1)];
  }));
}

// ---------------------------------------------------------------------------------------------
// The relay

/**
 * A TCP relay in front of a master. It forwards every connection both ways; on a replication
 * link (one whose client sends REPLCONF, i.e. a replica) `stall()` stops forwarding what the
 * master sends until `resume()`. The held bytes stay unread in the relay's socket to the master,
 * so none reaches the replica, even when the replica is promoted meanwhile. `lag(ms)` delays
 * what the master sends a replica instead (a slow link): a write reaches the replica `ms` after
 * the master applied it, and what is still in flight when the master dies never arrives.
 */
export interface Relay {
  port: number;
  /** The master's port it forwards to. */
  target: number;
  readonly stalled: boolean;
  /** Open replication links (replicas connected through the relay). */
  readonly replicationLinks: number;
  stall(): void;
  resume(): void;
  /** Delays the master's bytes to replicas by `ms` from now on (0: no delay); order is kept. */
  lag(ms: number): void;
  close(): Promise<void>;
}

interface Link {
  replication: boolean;
  upstream: Socket;
  downstream: Socket;
  /** The master's bytes waiting for their time (`lag`) or for `resume()`. */
  queue: { at: number; chunk: Buffer }[];
  timer: NodeJS.Timeout | undefined;
  pump(): void;
}

export async function startRelay(target: number): Promise<Relay> {
  const links = new Set<Link>();
  let stalled = false;
  let lag = 0;
  const flowing = (link: Link) => !(stalled && link.replication);

  const server: Server = createServer((downstream) => {
    const upstream = createConnection({ host: HOST, port: target });
    const link: Link = {
      replication: false,
      upstream,
      downstream,
      queue: [],
      timer: undefined,
      pump() {
        clearTimeout(link.timer);
        link.timer = undefined;
        if (!flowing(link) || downstream.destroyed) return;
        const now = Date.now();
        while (link.queue.length && link.queue[0]!.at <= now) downstream.write(link.queue.shift()!.chunk);
        if (link.queue.length) link.timer = setTimeout(() => link.pump(), link.queue[0]!.at - now);
      },
    };
    links.add(link);
    let sniffed = '';
    const end = () => {
      links.delete(link);
      clearTimeout(link.timer);
      link.queue = [];
      // Destroyed, not ended: nothing held back is flushed to the replica.
      upstream.destroy();
      downstream.destroy();
    };
    upstream.on('error', end).on('close', end);
    downstream.on('error', end).on('close', end);
    downstream.on('data', (chunk: Buffer) => {
      if (!link.replication && sniffed.length < 4096) {
        sniffed += chunk.toString('latin1');
        if (/REPLCONF|PSYNC|\r\nSYNC\r\n/i.test(sniffed)) {
          link.replication = true;
          if (!flowing(link)) upstream.pause();
        }
      }
      if (!upstream.write(chunk)) {
        downstream.pause();
        upstream.once('drain', () => downstream.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (link.replication && (lag > 0 || link.queue.length)) {
        link.queue.push({ at: Math.max(Date.now() + lag, link.queue.at(-1)?.at ?? 0), chunk });
        if (!link.timer) link.pump();
        return;
      }
      if (!downstream.write(chunk)) {
        upstream.pause();
        downstream.once('drain', () => { if (flowing(link)) upstream.resume(); });
      }
    });
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    target,
    get stalled() { return stalled; },
    get replicationLinks() { return [...links].filter((link) => link.replication).length; },
    stall() {
      stalled = true;
      for (const link of links) {
        if (!link.replication) continue;
        link.upstream.pause();
        clearTimeout(link.timer);
        link.timer = undefined;
      }
    },
    resume() {
      stalled = false;
      for (const link of links) {
        if (!link.replication) continue;
        link.upstream.resume();
        link.pump();
      }
    },
    lag(ms) {
      lag = ms;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const link of [...links]) {
        clearTimeout(link.timer);
        link.upstream.destroy();
        link.downstream.destroy();
      }
      links.clear();
      await closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Sentinel

/** A process started by this file (a sentinel), stopped like a RedisServer. */
async function startSentinel(dir: string, index: number, masterPort: number): Promise<RedisServer> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${index}-${port}.conf`);
    await writeFile(conf, [
      `port ${port}`,
      `bind ${HOST}`,
      `dir ${dir}`,
      `sentinel monitor mymaster ${HOST} ${masterPort} 2`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 5000',
      'sentinel parallel-syncs mymaster 1',
      'sentinel resolve-hostnames no',
      '',
    ].join('\n'));
    try {
      return await launchProcess(port, [conf, '--sentinel']);
    } catch (err) {
      if (attempt === 5) throw err;
    }
  }
}

async function launchProcess(port: number, args: string[]): Promise<RedisServer> {
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let log = '';
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', () => reject(new Error(`redis-server ${args.join(' ')} exited:\n${log}`)));
  });
  child.stdout!.on('data', (chunk) => { log += chunk; });
  exited.catch(() => undefined);
  try {
    await Promise.race([exited, until(`a server on port ${port}`, async () => await ask(port, 'PING') === 'PONG', 10_000)]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  child.stdout!.removeAllListeners('data').resume();
  return {
    port,
    url: `redis://${HOST}:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** Kills a server at once (no shutdown, no last words to its replicas), as a crash would. */
export async function crash(server: RedisServer): Promise<void> {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  const exited = once(server.process, 'exit');
  server.process.kill('SIGKILL');
  await exited;
}

export interface ReplicatedRedis {
  /** The master the sentinels were started on (killed by `failover()`). */
  master: RedisServer;
  /** The first replica; `replicas` lists all. */
  replica: RedisServer;
  replicas: RedisServer[];
  sentinels: Address[];
  name: 'mymaster';
  /** The relay every replica replicates through, and the sentinels and clients reach the first master through. */
  relay: Relay;
  /** The master now, as the sentinels say (after `failover()`: the promoted replica). */
  current(): Promise<Address>;
  /**
   * Kills the master (SIGKILL; the relay closes too) and waits until every sentinel names a
   * promoted replica as the master and the other replicas, if any, replicate from it; returns
   * the promoted one.
   */
  failover(): Promise<RedisServer>;
  stop(): Promise<void>;
}

/** Whether the replica on `port` has its link to the master up. */
async function linkUp(port: number): Promise<boolean> {
  return (await info(port)).master_link_status === 'up';
}

/**
 * A master, `replicas` replicas replicating through one relay (`--replicaof` the relay's port;
 * they announce their own ports, so sentinels and clients reach them directly), and `sentinels`
 * sentinels watching the master as `mymaster` (quorum 2, down after 1 s). Resolves once
 * replication is up and every sentinel knows every replica and the other sentinels.
 *
 * The sentinels (and so the clients) know the master by the relay's address, which passes them
 * through untouched: a sentinel that knew it by its own port would see the replicas replicate
 * from another address and, some 8 s on, point them at the master directly, around the relay.
 *
 * One replica (the default) leaves the promoted master without replicas; with two, the sentinels
 * point the other at the promoted one, so writes there can be acknowledged again.
 */
export async function startReplicatedRedis({ sentinels: sentinelCount = 3, replicas: replicaCount = 1 } = {}): Promise<ReplicatedRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'sentinel-'));
  const started: RedisServer[] = [];
  let relay: Relay | undefined;
  const stop = async () => {
    await relay?.close();
    await Promise.all(started.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const master = await startRedisServer(undefined, [...NODE_ARGS, '--dir', await nodeDir(dir)]);
    started.push(master);
    relay = await startRelay(master.port);
    const relayPort = relay.port;
    const replicas = await Promise.all(Array.from({ length: replicaCount }, async () => startRedisServer(undefined, [
      ...NODE_ARGS, '--dir', await nodeDir(dir), '--replicaof', HOST, String(relayPort),
    ])));
    started.push(...replicas);
    await until('replication to come up', async () => {
      const fields = await info(master.port);
      const online = Object.entries(fields).filter(([name, value]) => /^slave\d+$/.test(name) && value.includes('state=online')).length;
      return online === replicaCount && relay!.replicationLinks === replicaCount
        && (await Promise.all(replicas.map((replica) => linkUp(replica.port)))).every(Boolean);
    });
    const sentinels = await Promise.all(Array.from({ length: sentinelCount }, (_, i) => startSentinel(dir, i, relayPort)));
    started.push(...sentinels);
    await until('the sentinels to know the replicas and each other', async () => {
      for (const sentinel of sentinels) {
        const known = await ask(sentinel.port, 'SENTINEL', 'REPLICAS', 'mymaster') as string[][];
        const ports = known.map((fields) => Number(fields[fields.indexOf('port') + 1]));
        if (!replicas.every((replica) => ports.includes(replica.port))) return false;
        if ((await ask(sentinel.port, 'SENTINEL', 'SENTINELS', 'mymaster') as unknown[]).length !== sentinelCount - 1) return false;
      }
      return true;
    }, 20_000, 100);

    /** The master now, and the address the sentinels know it by. */
    let masterNow: RedisServer = master;
    let masterPort = relayPort;
    const current = async () => {
      const [host, port] = await ask(sentinels[0]!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster') as [string, string];
      return { host, port: Number(port) };
    };
    return {
      master,
      replica: replicas[0]!,
      replicas,
      sentinels: sentinels.map(({ port }) => ({ host: HOST, port })),
      name: 'mymaster',
      relay,
      current,
      async failover() {
        const old = masterNow;
        await crash(old);
        // Its address refuses connections from now on, as a dead master's does.
        if (masterPort === relayPort) await relay!.close();
        const promoted = await until('the sentinels to promote a replica', async () => {
          const answers = await Promise.all(sentinels.map(async (sentinel) => {
            const [, port] = await ask(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster') as [string, string];
            return Number(port);
          }));
          const port = answers[0]!;
          return port !== masterPort && answers.every((answer) => answer === port) ? replicas.find((replica) => replica.port === port) : undefined;
        }, 30_000, 100);
        const others = replicas.filter((replica) => replica !== promoted && replica.process.exitCode === null && replica.process.signalCode === null);
        await until('the promoted master to serve, with the other replicas', async () => {
          const fields = await info(promoted.port);
          if (fields.role !== 'master') return false;
          for (const other of others) {
            const theirs = await info(other.port);
            if (Number(theirs.master_port) !== promoted.port || theirs.master_link_status !== 'up') return false;
          }
          return true;
        }, 20_000, 100);
        masterNow = promoted;
        masterPort = promoted.port;
        return promoted;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all([port, port + 10_000].map((candidate) => new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false)).listen(candidate, HOST, () => probe.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return port;
  }
}

/** The node's CLUSTER SLOTS entry for `slot`: its range, the master, then each replica it lists. */
export async function slotEntry(port: number, slot: number): Promise<[number, number, [string, number], ...[string, number][]] | undefined> {
  const table = await ask(port, 'CLUSTER', 'SLOTS') as [number, number, [string, number], ...[string, number][]][];
  return table.find(([from, to]) => slot >= from && slot <= to);
}

export interface ClusterShard {
  /** The master; clients and its replica reach it through `relay` (it announces the relay's port). */
  master: RedisServer;
  replica: RedisServer;
  relay: Relay;
  /** The address the cluster announces for the master (the relay's). */
  address: Address;
  slots: [number, number];
}

export interface ReplicatedCluster {
  /** Startup nodes for a client: the masters' announced addresses. */
  nodes: Address[];
  shards: ClusterShard[];
  /** The hash slot of `key` (as the cluster computes it). */
  slotOf(key: string): Promise<number>;
  /** The shard whose slots hold `key`, as started (before any failover). */
  shardOf(key: string): Promise<ClusterShard>;
  /** Holds back what every master sends its replica. */
  stall(): void;
  resume(): void;
  /**
   * Kills the master that serves `key` (SIGKILL; its relay closes too, so its address refuses
   * connections) and waits until every surviving node's CLUSTER SLOTS names its replica as the
   * slot's only owner and the cluster is ok; returns the promoted replica's address.
   */
  failover(key: string): Promise<Address>;
  stop(): Promise<void>;
}

const RANGES: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];

/**
 * A Redis Cluster of three masters with one replica each (cluster-node-timeout 1 s). Each master
 * announces the port of a relay in front of it, so its replica replicates through the relay
 * (stallable) and clients reach it through the relay too (which passes them through untouched).
 * New ports if one was taken meanwhile.
 */
export function startReplicatedCluster(dir: string): Promise<ReplicatedCluster> {
  return withNewPortsOnFailure(() => createReplicatedCluster(dir));
}

async function createReplicatedCluster(dir: string): Promise<ReplicatedCluster> {
  const servers: RedisServer[] = [];
  const relays: Relay[] = [];
  const stop = async () => {
    await Promise.all(relays.map((relay) => relay.close()));
    await Promise.all(servers.map((server) => server.stop()));
  };
  const clusterArgs = async (port: number) => [
    ...NODE_ARGS, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000', '--dir', await nodeDir(dir),
  ];
  try {
    const shards: ClusterShard[] = [];
    for (const slots of RANGES) {
      const masterPort = await clusterPort();
      const relay = await startRelay(masterPort);
      relays.push(relay);
      const master = await startRedisServer(masterPort, [...await clusterArgs(masterPort), '--cluster-announce-port', String(relay.port)]);
      servers.push(master);
      const replicaPort = await clusterPort();
      const replica = await startRedisServer(replicaPort, await clusterArgs(replicaPort));
      servers.push(replica);
      shards.push({ master, replica, relay, address: { host: HOST, port: relay.port }, slots });
    }
    for (const { master, slots } of shards) await ask(master.port, 'CLUSTER', 'ADDSLOTSRANGE', slots[0], slots[1]);
    for (const server of servers.slice(1)) await ask(servers[0]!.port, 'CLUSTER', 'MEET', HOST, server.port);
    await until('every node to know every other', async () => {
      for (const server of servers) {
        const lines = String(await ask(server.port, 'CLUSTER', 'NODES')).trim().split('\n');
        if (lines.length !== servers.length || lines.some((line) => /handshake|noaddr/.test(line))) return false;
      }
      return true;
    });
    for (const { master, replica } of shards) {
      const id = String(await ask(master.port, 'CLUSTER', 'MYID'));
      await until('the replica to know its master', async () => {
        await ask(replica.port, 'CLUSTER', 'REPLICATE', id);
        return true;
      }, 10_000, 100);
    }
    await until('replication through the relays and cluster_state:ok everywhere', async () => {
      for (const { master, replica, relay } of shards) {
        const fields = await info(master.port);
        if (!(fields.slave0 ?? '').includes('state=online') || relay.replicationLinks !== 1) return false;
        if (!await linkUp(replica.port) || Number((await info(replica.port)).master_port) !== relay.port) return false;
      }
      for (const server of servers) {
        if (!String(await ask(server.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        // Every node's slot table shows each master's replica (clients learn it from there).
        const table = await ask(server.port, 'CLUSTER', 'SLOTS') as unknown[][];
        if (table.length !== shards.length || table.some((entry) => entry.length < 4)) return false;
      }
      return true;
    }, 20_000, 100);

    const alive = () => servers.filter((server) => server.process.exitCode === null && server.process.signalCode === null);
    const slotOf = async (key: string) => Number(await ask(alive()[0]!.port, 'CLUSTER', 'KEYSLOT', key));
    const shardOf = async (key: string) => {
      const slot = await slotOf(key);
      return shards.find(({ slots }) => slot >= slots[0] && slot <= slots[1])!;
    };
    return {
      nodes: shards.map(({ address }) => address),
      shards,
      slotOf,
      shardOf,
      stall() { for (const relay of relays) relay.stall(); },
      resume() { for (const relay of relays) relay.resume(); },
      async failover(key) {
        const slot = await slotOf(key);
        const shard = await shardOf(key);
        await crash(shard.master);
        await shard.relay.close();
        const survivors = alive();
        await until(`the replica on port ${shard.replica.port} to take over slot ${slot}`, async () => {
          for (const server of survivors) {
            if (!String(await ask(server.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
            const entry = await slotEntry(server.port, slot);
            // The promoted replica alone: a node may list the dead master as its replica until it flags it failed.
            if (!entry || Number(entry[2][1]) !== shard.replica.port || entry.length > 3) return false;
          }
          return true;
        }, 30_000, 100);
        return { host: HOST, port: shard.replica.port };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

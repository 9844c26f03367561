/**
 * `npm start` on a highly available Redis: a master with a replica behind three sentinels
 * (REDIS_SENTINELS), and a three-master Redis Cluster (REDIS_CLUSTER). Each time the example runs
 * as its own process, prints the guarantees in force (`transfer.guarantees()`) under its storage
 * line, and a token minted for example-native signs example-spa in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

import { hashToken } from '../../lib/token.js';
import { authorizeWithToken, exampleNativeToken, exchangeFrom, idTokenClaims } from '../helpers/example-transfer.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';
import { freePort, startRedisCluster, startRedisServer, type RedisCluster, type RedisServer } from '../helpers/redis-server.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'example-redis-topologies-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Sentinel {
  port: number;
  stop(): Promise<void>;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** One sentinel on a free port, watching the master `mymaster` at `masterPort` (new ports if one was taken meanwhile). */
async function startSentinel(masterPort: number): Promise<Sentinel> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    await writeFile(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`, 'sentinel down-after-milliseconds mymaster 1000', '',
    ].join('\n'));
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let log = '';
    // Sentinel prints no "Ready to accept connections"; it has bound its port by the time it monitors.
    const monitoring = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stdout!.on('data', (chunk) => {
        log += chunk;
        if (log.includes('+monitor master mymaster')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    child.stdout!.removeAllListeners('data').resume();
    if (monitoring) return { port, stop: () => stopProcess(child) };
    await stopProcess(child);
    if (attempt === 5) throw new Error(`redis-server --sentinel did not start on port ${port}:\n${log}`);
  }
}

/** Waits until `replica` reports its link to the master up. */
async function linkUp(replica: Redis): Promise<void> {
  for (let tries = 0; !/master_link_status:up/.test(await replica.info('replication')); tries += 1) {
    // 20 s: a loaded machine takes seconds to sync a replica.
    if (tries > 800) throw new Error('the replica did not connect to the master');
    await sleep(25);
  }
}

/** The line the example prints for `transfer.guarantees()`. */
const guaranteesLine = (idp: IdpProcess) => /^guarantees: .*$/m.exec(idp.output())?.[0];

/** Mints as example-native, then signs example-spa in with the token: the whole transfer against the example at `idp`. */
async function transfer(idp: IdpProcess): Promise<string> {
  const token = await exampleNativeToken(idp.url, `http://localhost:${idp.ports.idp}/`);
  const spa = { clientId: 'example-spa', redirectUri: 'http://localhost:3002/' };
  const exchange = await exchangeFrom(idp.url, 'http://localhost:3002', spa, await authorizeWithToken(idp.url, token, spa));
  expect(exchange.status).toBe(200);
  expect(idTokenClaims(exchange.body.id_token)).toMatchObject({ sub: 'demo', aud: 'example-spa', amr: ['pwd', 'session_transfer'] });
  return token;
}

describe('REDIS_SENTINELS: a master with one replica, behind three sentinels', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let sentinels: Sentinel[] = [];
  let replicaClient: Redis;
  let idp: IdpProcess;

  beforeAll(async () => {
    master = await startRedisServer();
    replica = await startRedisServer(undefined, ['--replicaof', '127.0.0.1', String(master.port)]);
    replicaClient = new Redis(replica.url, { maxRetriesPerRequest: 1 });
    sentinels = await Promise.all([1, 2, 3].map(() => startSentinel(master.port)));
    await linkUp(replicaClient);
    // The tests' own Redis (REDIS_URL) is in the environment: at most one topology is allowed.
    idp = await startIdpProcess({ REDIS_URL: '', REDIS_SENTINELS: sentinels.map(({ port }) => `127.0.0.1:${port}`).join(',') });
  }, 20_000);

  afterAll(async () => {
    await idp?.stop();
    replicaClient?.disconnect();
    await Promise.all([...sentinels, replica, master].map((server) => server?.stop()));
  });

  it('prints the sentinels and that the safety-critical writes wait for the replica', () => {
    expect(idp.output()).toContain(`storage: Redis master "mymaster" through the sentinels at ${sentinels.map(({ port }) => `127.0.0.1:${port}`).join(', ')}`);
    expect(guaranteesLine(idp)).toBe('guarantees: Redis (sentinel): token saves and consumes, lineage writes and revocation marks wait for '
      + '1 replica acknowledgement(s) within 250 ms, and fail closed without: a failover to an acknowledging replica undoes none of them');
  });

  it('mints and redeems a token through the master the sentinels name; its consume has reached the replica', async () => {
    const token = await transfer(idp);
    // Redeemed: the token's key holds the replay marker ("!"), and WAIT had the replica take it first.
    const [key] = await replicaClient.keys(`*{${hashToken(token)}}`);
    expect(key).toBeDefined();
    expect((await replicaClient.getBuffer(key!))?.[0]).toBe(0x21);
  });
});

describe('REDIS_CLUSTER: three masters without replicas', () => {
  let cluster: RedisCluster;
  let idp: IdpProcess;

  beforeAll(async () => {
    cluster = await startRedisCluster(dir);
    idp = await startIdpProcess({ REDIS_URL: '', REDIS_CLUSTER: cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',') });
  }, 20_000);

  afterAll(async () => {
    await idp?.stop();
    await cluster?.stop();
  });

  it('prints the cluster and that no write waits for a replica, as no master has one', () => {
    expect(idp.output()).toContain(`storage: Redis Cluster at ${cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(', ')}`);
    expect(guaranteesLine(idp)).toBe('guarantees: Redis Cluster (3 masters): 3 of 3 masters have no replica (replicaAcks \'auto\'), so writes there '
      + 'wait for none: nothing can be promoted over them. Once a replica connects, token saves and consumes, lineage writes and revocation marks '
      + 'wait for 1 replica acknowledgement(s) within 250 ms, and fail closed without');
  });

  it('mints and redeems a token on the cluster', async () => {
    await transfer(idp);
  });
});

it('starts while Redis does not answer, saying the guarantees are unknown, and prints them once Redis answers', async () => {
  const port = await freePort();
  const idp = await startIdpProcess({ REDIS_URL: `redis://127.0.0.1:${port}` });
  let redis: RedisServer | undefined;
  try {
    expect(guaranteesLine(idp)).toMatch(/^guarantees: unknown until Redis answers \(redis INFO .*\); printed here once it does$/);
    redis = await startRedisServer(port);
    for (let tries = 0; !idp.output().includes('guarantees (Redis answers now):'); tries += 1) {
      if (tries > 200) throw new Error(`no guarantees once Redis answered:\n${idp.output()}`);
      await sleep(50);
    }
    expect(idp.output()).toContain('guarantees (Redis answers now): Redis (standalone): the master has no replica');
  } finally {
    await idp.stop();
    await redis?.stop();
  }
}, 20_000);

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type Redis } from 'ioredis';
import request from 'supertest';

import { redisAdapter, type RejectedEvent, type ReplicaAcksOption } from '../../lib/index.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { read, startReplicatedCluster, until, type ReplicatedCluster } from '../helpers/replication.js';
import { tokenKey } from '../helpers/stored-token.js';
import { authorize, mintToken } from '../helpers/web-login.js';

/**
 * Issue 22 on Redis Cluster: three masters with a replica each, every replica behind the
 * harness's relay. A token is consumed while the replicas are held back (stall), then the master
 * of the token's slot is killed and its replica takes over the slot. One cluster per test (each
 * failover leaves a shard without a replica); the library and oidc-provider's storage share one
 * Cluster client.
 */

type Idp = ReturnType<typeof testIdentityProvider>;

interface Setup {
  cluster: ReplicatedCluster;
  client: Cluster;
  idp: Idp;
  prefix: string;
  rejected: RejectedEvent[];
}

const dirs: string[] = [];
const clusters: ReplicatedCluster[] = [];
const unused: ReplicatedCluster[] = [];
const setups: Setup[] = [];
let started: Promise<unknown>;

beforeAll(async () => {
  started = Promise.all(Array.from({ length: 2 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'failover-cluster-'));
    dirs.push(dir);
    const cluster = await startReplicatedCluster(dir);
    clusters.push(cluster);
    unused.push(cluster);
  }));
  await started;
}, 60_000);

afterAll(async () => {
  await started?.catch(() => undefined);
  await Promise.all(setups.map(({ idp }) => idp.transfer.settled().catch(() => undefined)));
  for (const { client } of setups) client.disconnect();
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The next cluster, a Cluster client on it, and the identity provider with `replicaAcks` for the library and its adapter. */
function setup(replicaAcks?: ReplicaAcksOption): Setup {
  const cluster = unused.pop()!;
  const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => undefined);
  const prefix = `failover-cluster-${setups.length}:`;
  const acks = replicaAcks !== undefined ? { replicaAcks } : {};
  const idp = testIdentityProvider({ redis: client, keyPrefix: prefix, ...acks }, { adapter: redisAdapter({ client, prefix: `${prefix}oidc:`, ...acks }) });
  const made: Setup = { cluster, client, idp, prefix, rejected: [] };
  idp.transfer.on('rejected', (e) => made.rejected.push(e));
  setups.push(made);
  return made;
}

/** The token presented by a new browser for example-web: `code` (signed in), `login` (the login prompt), or what else it ended in. */
async function present({ idp }: Setup, token: string): Promise<string> {
  const outcome = await authorize(request.agent(idp.app), idp.provider, { token });
  return outcome.kind === 'interaction' ? outcome.prompt : outcome.kind === 'error' ? outcome.error : 'code';
}

/**
 * Mints a token (replicas following), presents it while every replica is held back, kills the
 * master of its slot, lets the other replicas catch up, and presents it twice more from new
 * browsers once the client writes to the promoted replica. Returns the outcomes in order.
 */
async function consumeThenFailOver(env: Setup): Promise<{ outcomes: string[]; masterHad?: string; replicaHad?: string }> {
  const { token } = await mintToken(env.idp.app);
  const key = tokenKey(env.client as unknown as Redis, env.prefix, token);
  const shard = await env.cluster.shardOf(key);
  await until('the replica to have the token', async () => await read(shard.replica.port, key) !== null);

  env.cluster.stall();
  const outcomes = [await present(env, token)];
  const [masterHad, replicaHad] = [await read(shard.master.port, key), await read(shard.replica.port, key)];

  await env.cluster.failover(key);
  env.cluster.resume();
  // Same slot as the token (its hash tag): answered by the promoted replica once the client follows.
  const probe = `failover-probe:${key.slice(key.indexOf('{'))}`;
  await until('the Cluster client to write to the promoted replica', async () => await env.client.set(probe, '1', 'EX', 10) === 'OK', 20_000, 100);
  outcomes.push(await present(env, token), await present(env, token));
  return { outcomes, masterHad: masterHad ?? undefined, replicaHad: replicaHad ?? undefined };
}

it('replica acks on (defaults): a token consumed on a master that dies before its replica has the consume signs in once in all', async () => {
  const env = setup();
  expect(await env.idp.transfer.guarantees()).toMatchObject({ topology: 'cluster', masters: 3, waiting: 3 });
  const { outcomes, masterHad, replicaHad } = await consumeThenFailOver(env);
  // The master consumed it (replay marker), its replica did not hear: the redeem failed closed.
  expect(masterHad?.[0]).toBe('!');
  expect(replicaHad?.[0]).not.toBe('!');
  expect(env.rejected[0]).toMatchObject({ reason: 'store_unavailable' });
  // Refused before the failover, redeemed once on the promoted replica, then spent.
  expect(outcomes).toEqual(['login', 'code', 'login']);
  expect(outcomes.filter((outcome) => outcome === 'code')).toHaveLength(1);
}, 30_000);

it('replica acks off: the same sequence signs in twice (the double redemption a failover causes without them)', async () => {
  const env = setup(false);
  const { outcomes } = await consumeThenFailOver(env);
  expect(outcomes).toEqual(['code', 'code', 'login']);
}, 30_000);

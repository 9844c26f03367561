import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type Redis } from 'ioredis';
import request from 'supertest';

import { redisAdapter, type CascadeRevokedEvent, type RejectedEvent, type ReplicaAcksOption } from '../../lib/index.js';
import { grantOf, present, REPLAY_MARK, sessionUidOf, signedIn, storeKeys, webSessionFromTransfer } from '../helpers/failover-flows.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { ask, crash, read, slotEntry, startReplicatedCluster, until, type ReplicatedCluster } from '../helpers/replication.js';
import { tokenKey } from '../helpers/stored-token.js';
import { authorize, mintToken } from '../helpers/web-login.js';

/**
 * Issue 22 on Redis Cluster: three masters with a replica each, every replica behind the
 * harness's relay. A token is consumed while the replicas are held back (stall), or a lineage or
 * a revocation mark is written while they lag; then the master of the key's slot is killed and
 * its replica takes over the slot. One cluster per test (each failover leaves a shard without a
 * replica); the library and oidc-provider's storage share one Cluster client.
 */

type Idp = ReturnType<typeof testIdentityProvider>;

interface Setup {
  cluster: ReplicatedCluster;
  client: Cluster;
  idp: Idp;
  prefix: string;
  rejected: RejectedEvent[];
  cascades: CascadeRevokedEvent[];
}

const dirs: string[] = [];
const clusters: ReplicatedCluster[] = [];
const unused: ReplicatedCluster[] = [];
const setups: Setup[] = [];
let started: Promise<unknown>;

beforeAll(async () => {
  started = Promise.all(Array.from({ length: 5 }, async () => {
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

/**
 * The next cluster, a Cluster client on it, and the identity provider with `replicaAcks` (and
 * `commandTimeout`) for the library, and `adapterAcks` (the same by default) for its adapter.
 */
function setup(replicaAcks?: ReplicaAcksOption, commandTimeout?: number, adapterAcks = replicaAcks): Setup {
  const cluster = unused.pop()!;
  const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => undefined);
  const prefix = `failover-cluster-${setups.length}:`;
  const acks = (value?: ReplicaAcksOption) => ({ ...(value !== undefined ? { replicaAcks: value } : {}), ...(commandTimeout ? { commandTimeout } : {}) });
  const idp = testIdentityProvider({ redis: client, keyPrefix: prefix, ...acks(replicaAcks) }, { adapter: redisAdapter({ client, prefix: `${prefix}oidc:`, ...acks(adapterAcks) }) });
  const made: Setup = { cluster, client, idp, prefix, rejected: [], cascades: [] };
  idp.transfer.on('rejected', (e) => made.rejected.push(e));
  idp.transfer.on('cascade_revoked', (e) => made.cascades.push(e));
  setups.push(made);
  return made;
}

/**
 * Kills the master serving `key` and waits until the client writes to its promoted replica and
 * its slot table no longer lists the dead master as that replica's replica (until then `'auto'`
 * waits for a replica there, and fails closed); returns the promoted replica's port.
 */
async function failover({ cluster, client }: Setup, key: string): Promise<number> {
  const promoted = await cluster.failover(key);
  // Same slot as `key` (its hash tag): answered by the promoted replica once the client follows.
  const probe = `failover-probe:${key.slice(key.indexOf('{'))}`;
  await until('the Cluster client to write to the promoted replica', async () => await client.set(probe, '1', 'EX', 10) === 'OK', 20_000, 100);
  const slot = await cluster.slotOf(key);
  await until('the Cluster client\'s slot table to list the promoted replica alone', async () => {
    await new Promise<void>((resolve) => { client.refreshSlotsCache(() => resolve()); });
    return client.slots[slot]?.length === 1;
  }, 20_000, 100);
  return promoted.port;
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
  const outcomes = [await present(env.idp, token)];
  const [masterHad, replicaHad] = [await read(shard.master.port, key), await read(shard.replica.port, key)];

  await failover(env, key);
  env.cluster.resume();
  outcomes.push(await present(env.idp, token), await present(env.idp, token));
  return { outcomes, masterHad: masterHad ?? undefined, replicaHad: replicaHad ?? undefined };
}

it('replica acks on (defaults): a token consumed on a master that dies before its replica has the consume signs in once in all', async () => {
  const env = setup();
  expect(await env.idp.transfer.guarantees()).toMatchObject({ topology: 'cluster', masters: 3, waiting: 3 });
  const { outcomes, masterHad, replicaHad } = await consumeThenFailOver(env);
  // The master consumed it (replay marker), its replica did not hear: the redeem failed closed.
  expect(masterHad?.[0]).toBe(REPLAY_MARK);
  expect(replicaHad?.[0]).not.toBe(REPLAY_MARK);
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

/**
 * Acknowledgement waits far above the relay's lag (a busy machine delays the relay and the
 * replica too): acknowledged writes succeed, unacknowledged ones answer before the replica has them.
 */
const LAGGING = { replicas: 'auto', timeout: 8000 } as const;
const LAG_MS = 1000;

it('lineage: a web session\'s place, acknowledged before its shard fails over, is on the promoted replica, and the cascade still finds it', async () => {
  const env = setup(LAGGING, 12_000);
  const { token, native } = await mintToken(env.idp.app);
  const grantId = await grantOf(env.idp, native.refresh_token);
  const key = storeKeys(env.idp).lineageKey(grantId);
  // The lineage's shard replicates a second late: a write not waited for dies with its master.
  (await env.cluster.shardOf(key)).relay.lag(LAG_MS);
  const redeemed = await authorize(request.agent(env.idp.app), env.idp.provider, { clientId: 'refresh-web', token });
  expect(redeemed.kind).toBe('code');
  // The master dies as soon as the redeem answered, with the lineage write still in flight unless it was acknowledged.
  const promoted = await failover(env, key);
  const children = await ask(promoted, 'ZRANGE', key, 0, -1) as string[];
  expect(children).toEqual([expect.stringMatching(/^session:/)]);
  // The session's record is not waited for on a Cluster: on the failed shard it may be gone (the
  // session then ends at its next use). Either way the cascade reads the child and leaves no record.
  await env.idp.transfer.revokeGrant(grantId);
  await until('the cascade', async () => env.cascades.length > 0);
  expect(env.cascades).toEqual([expect.objectContaining({ grantId, trigger: 'api' })]);
  expect(await env.client.exists(storeKeys(env.idp).sessionKey(sessionUidOf(children[0]!)))).toBe(0);
}, 60_000);

it('revocation: a revocation answered before its shard fails over stays done on the promoted replica', async () => {
  // Any WAIT on the mark's shard after the mark would carry it to the replica too, so none may
  // come: the adapter does not wait (its grant index shares the mark's slot), and the web
  // session's record (deleted by the cascade, waited) lives on another shard.
  const env = setup(LAGGING, 12_000, false);
  const keys = storeKeys(env.idp);
  const apart = async () => {
    const flow = await webSessionFromTransfer(env.idp);
    const [child] = await env.client.zrange(keys.lineageKey(flow.grantId), 0, -1);
    const shards = [keys.revokedKey(flow.grantId), keys.sessionKey(sessionUidOf(child!))].map((k) => env.cluster.shardOf(k));
    return (await shards[0]) !== (await shards[1]) && flow;
  };
  const { native, web, grantId } = await until('a web session whose record is on another shard than its grant\'s mark', apart, 30_000, 0);
  const key = keys.revokedKey(grantId);
  expect(await signedIn(env.idp, web)).toBe(true);
  (await env.cluster.shardOf(key)).relay.lag(LAG_MS);
  const revoked = await request(env.idp.app).post('/token/revocation').type('form')
    .send({ client_id: 'example-native', token: native.refresh_token });
  expect(revoked.status).toBe(200);
  await until('the cascade', async () => env.cascades.length > 0);
  expect(env.cascades).toEqual([expect.objectContaining({ grantId, trigger: 'revocation', sessions: 1 })]);
  const promoted = await failover(env, key);
  expect(Number(await ask(promoted, 'EXISTS', key))).toBe(1);
  expect(await signedIn(env.idp, web)).toBe(false);
}, 60_000);

it('a replica that dies: the first waited write to its master fails closed and makes the client refetch its slot table, so the next goes through', async () => {
  const env = setup({ replicas: 'auto', timeout: 500 });
  const { token } = await mintToken(env.idp.app);
  const keyOf = (minted: string) => tokenKey(env.client as unknown as Redis, env.prefix, minted);
  const shard = await env.cluster.shardOf(keyOf(token));
  const slot = await env.cluster.slotOf(keyOf(token));
  await crash(shard.replica);
  await until('every master to drop the dead replica from CLUSTER SLOTS', async () => {
    for (const { master } of env.cluster.shards) if ((await slotEntry(master.port, slot))!.length > 3) return false;
    return true;
  }, 20_000, 100);
  // The client's table still names it (ioredis refetches on a redirection only): the consume waits for it, in vain.
  expect(env.client.slots[slot]).toHaveLength(2);
  expect(await present(env.idp, token)).toBe('login');
  expect(env.rejected.at(-1)).toMatchObject({ reason: 'store_unavailable' });
  await until('the client to refetch its slot table', async () => env.client.slots[slot]?.length === 1, 5_000);
  // A token whose record lands on that master is saved and consumed without waiting: nothing is left to wait for.
  const next = await until('a token on the same master', async () => {
    const minted = await mintToken(env.idp.app);
    return (await env.cluster.shardOf(keyOf(minted.token))) === shard && minted.token;
  }, 20_000, 0);
  expect(await present(env.idp, next)).toBe('code');
}, 60_000);

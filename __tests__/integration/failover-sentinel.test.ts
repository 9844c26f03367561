import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';

import {
  redisAdapter, type CascadeFailedEvent, type CascadeRevokedEvent, type RejectedEvent, type ReplicaAcksOption,
} from '../../lib/index.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { ask, read, startReplicatedRedis, until, type ReplicatedRedis } from '../helpers/replication.js';
import { tokenKey } from '../helpers/stored-token.js';
import { present, REPLAY_MARK, signedIn, storeKeys, webSessionFromTransfer } from '../helpers/failover-flows.js';
import { mintToken } from '../helpers/web-login.js';

/**
 * Issue 22: what a Redis failover does to tokens, lineage and revocations, seen over HTTP. Each
 * test has its own master, replica (behind the harness's relay) and three sentinels; the library
 * and oidc-provider's storage (the library's Redis adapter) share one Sentinel client, as in
 * production. The relay holds back (stall) or delays (lag) what the master sends the replica, then
 * the master is killed: the sentinels promote the replica with whatever reached it.
 */

type Idp = ReturnType<typeof testIdentityProvider>;

interface Setup {
  redis: ReplicatedRedis;
  client: Redis;
  idp: Idp;
  prefix: string;
  rejected: RejectedEvent[];
  cascades: CascadeRevokedEvent[];
  failures: CascadeFailedEvent[];
}

const setups: Setup[] = [];
/** Topologies started together in beforeAll (about 2 s each, mostly the sentinels finding one another), used one per test. */
const topologies: ReplicatedRedis[] = [];
/** Every topology started, to stop in afterAll. */
const all: ReplicatedRedis[] = [];
let started: Promise<unknown>;

beforeAll(async () => {
  started = Promise.all(Array.from({ length: 4 }, async () => {
    const topology = await startReplicatedRedis({ sentinels: 3 });
    all.push(topology);
    topologies.push(topology);
  }));
  await started;
}, 60_000);

afterEach(async () => {
  // Background tidy-ups of cascades first, as a host would at shutdown.
  await Promise.all(setups.map(({ idp }) => idp.transfer.settled().catch(() => undefined)));
});

afterAll(async () => {
  await started?.catch(() => undefined);
  for (const { client } of setups) client.disconnect();
  await Promise.all(all.map((topology) => topology.stop()));
});

/**
 * The next topology, a Sentinel client on it, and the identity provider with `replicaAcks` for
 * both the library and its Redis adapter (default options when undefined). `retryStrategy` keeps
 * the client's reconnections short, so it follows the promotion within a few hundred ms.
 */
function setup(replicaAcks?: ReplicaAcksOption, commandTimeout?: number): Setup {
  const redis = topologies.pop()!;
  const client = new Redis({
    sentinels: redis.sentinels, name: redis.name, maxRetriesPerRequest: 1, retryStrategy: () => 100, sentinelRetryStrategy: () => 100,
  });
  client.on('error', () => undefined);
  const prefix = `failover-${setups.length}:`;
  const adapter = redisAdapter({
    client, prefix: `${prefix}oidc:`, ...(replicaAcks !== undefined ? { replicaAcks } : {}), ...(commandTimeout ? { commandTimeout } : {}),
  });
  const idp = testIdentityProvider({
    redis: client, keyPrefix: prefix, ...(replicaAcks !== undefined ? { replicaAcks } : {}), ...(commandTimeout ? { commandTimeout } : {}),
  }, { adapter });
  const made: Setup = { redis, client, idp, prefix, rejected: [], cascades: [], failures: [] };
  idp.transfer.on('rejected', (e) => made.rejected.push(e));
  idp.transfer.on('cascade_revoked', (e) => made.cascades.push(e));
  idp.transfer.on('cascade_failed', (e) => made.failures.push(e));
  setups.push(made);
  return made;
}

/** Kills the master, waits for the sentinels' promotion and for the client to write to the promoted replica. */
async function failover({ redis, client }: Setup): Promise<number> {
  const promoted = await redis.failover();
  await until('the Sentinel client to follow the promotion', async () => {
    const fields = Object.fromEntries((await client.info('server')).split('\r\n').map((line) => line.split(':')));
    return Number(fields.tcp_port) === promoted.port && (await client.set('failover-probe', '1', 'EX', 10)) === 'OK';
  }, 20_000, 50);
  return promoted.port;
}


it('replica acks on (defaults): a token consumed on a master that dies before its replica has the consume signs in once in all', async () => {
  const env = setup();
  expect(await env.idp.transfer.guarantees()).toMatchObject({ topology: 'sentinel', replicaAcks: { replicas: 'auto', timeout: 250 }, masters: 1, waiting: 1 });
  const { token } = await mintToken(env.idp.app);
  const key = tokenKey(env.client, env.prefix, token);
  // The mint waited for the replica: a failover now keeps the token.
  expect(await read(env.redis.replica.port, key)).toEqual(expect.any(String));

  env.redis.relay.stall();
  const outcomes = [await present(env.idp, token)];
  // The master consumed it (its replay marker), the replica never heard: the consume was not
  // acknowledged, so the redeem failed closed (login prompt), signing no one in.
  expect(outcomes).toEqual(['login']);
  expect(env.rejected.map((e) => e.reason)).toEqual(['store_unavailable']);
  expect((await read(env.redis.master.port, key))?.[0]).toBe(REPLAY_MARK);
  expect((await read(env.redis.replica.port, key))?.[0]).not.toBe(REPLAY_MARK);

  await failover(env);
  // A second browser on the promoted replica, where the token is unconsumed: it may sign in now,
  // since nobody did before. Then it is spent.
  outcomes.push(await present(env.idp, token), await present(env.idp, token));
  expect(outcomes).toEqual(['login', 'code', 'login']);
  expect(outcomes.filter((outcome) => outcome === 'code')).toHaveLength(1);
}, 30_000);

it('replica acks off: the same sequence signs in twice (the double redemption a failover causes without them)', async () => {
  const env = setup(false);
  expect((await env.idp.transfer.guarantees()).summary).toMatch(/a consumed token may then redeem again/);
  const { token } = await mintToken(env.idp.app);
  await until('the replica to have the token', async () => await read(env.redis.replica.port, tokenKey(env.client, env.prefix, token)) !== null);

  env.redis.relay.stall();
  const outcomes = [await present(env.idp, token)];
  await failover(env);
  outcomes.push(await present(env.idp, token));
  // Evidence for the docs' warning: two browsers signed in from one single-use token.
  expect(outcomes).toEqual(['code', 'code']);
}, 30_000);

it('lineage and revocation: a revocation answered before the failover stays done on the promoted replica', async () => {
  // A slow replica (150 ms behind) instead of a stalled one: acknowledged writes wait for it and
  // succeed; unacknowledged ones answer before it has them. Hence an acknowledgement wait well above the lag.
  const env = setup({ replicas: 'auto', timeout: 1500 }, 3000);
  const { native, web, grantId } = await webSessionFromTransfer(env.idp);
  const store = storeKeys(env.idp);
  // The lineage (the web session, a child of the native grant) was acknowledged by the replica.
  expect(await ask(env.redis.replica.port, 'ZRANGE', store.lineageKey(grantId), 0, -1)).toEqual([expect.stringMatching(/^session:/)]);
  expect(await signedIn(env.idp, web)).toBe(true);

  env.redis.relay.lag(150);
  const revoked = await request(env.idp.app).post('/token/revocation').type('form')
    .send({ client_id: 'example-native', token: native.refresh_token });
  expect(revoked.status).toBe(200);
  expect(env.cascades).toEqual([expect.objectContaining({ grantId, trigger: 'revocation', sessions: 1 })]);
  // The master dies the moment the revocation is answered: what was acknowledged is on the replica.
  const promoted = await failover(env);
  expect(Number(await ask(promoted, 'EXISTS', store.revokedKey(grantId)))).toBe(1);
  expect(await signedIn(env.idp, web)).toBe(false);
  expect((await request(env.idp.app).post('/token').type('form')
    .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token })).body.error).toBe('invalid_grant');
}, 30_000);

it('a cascade the replica did not acknowledge reports cascade_failed, and its retry on the promoted replica ends the web session', async () => {
  const env = setup();
  const { web, grantId } = await webSessionFromTransfer(env.idp);
  expect(await signedIn(env.idp, web)).toBe(true);

  env.redis.relay.stall();
  // The grant's own deletions are not acknowledged: the caller hears of it.
  await expect(env.idp.transfer.revokeGrant(grantId)).rejects.toMatchObject({ code: 'ERR_SESSION_TRANSFER_STORE_UNAVAILABLE' });
  // The cascade's first attempt fails too: not acknowledged, or timed out behind the other
  // writes' WAITs (each blocks the client's one connection for the 250 ms timeout).
  await until('the cascade to report its failure', async () => env.failures.length > 0, 5_000);
  expect(env.failures[0]).toMatchObject({ grantId, trigger: 'api', attempt: 1, willRetry: true, error: expect.stringMatching(/not acknowledged|timed out/) });
  expect(env.cascades).toEqual([]);

  const promoted = await failover(env);
  // The master's revocation died with it; the cascade's retries (1 s, 5 s, …) go on against the promoted replica.
  await until('the cascade to succeed on the promoted replica', async () => env.cascades.length > 0, 20_000, 100);
  expect(env.cascades).toEqual([expect.objectContaining({ grantId, trigger: 'api', sessions: 1, grants: 1 })]);
  const store = storeKeys(env.idp);
  expect(Number(await ask(promoted, 'EXISTS', store.revokedKey(grantId)))).toBe(1);
  expect(await signedIn(env.idp, web)).toBe(false);
}, 40_000);

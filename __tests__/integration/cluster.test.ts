import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';

import { NativeApp } from '../../examples/native/app.js';
import { RedisStore } from '../../lib/index.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { inBatches, ISSUER_HOST, mintMany, redeemAt, WEB_REDIRECT } from '../helpers/http-flow.js';
import { startRedisCluster, startRedisServer, type RedisCluster } from '../helpers/redis-server.js';

let cluster: RedisCluster;
let client: Cluster;
let server: Server;
let base: string;
const errors: Error[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster(await mkdtemp(join(tmpdir(), 'cluster-')));
  client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', (err: Error) => errors.push(err));
  await client.ping();
  // Store and provider adapter both on the cluster.
  const { app } = testIdentityProvider({ redis: client });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  server?.close();
  client?.disconnect();
  await cluster?.stop();
});

/** The native app against a provider with the standard paths and form bodies. */
const nativeApp = () => new NativeApp({ issuer: base, auth0Paths: false, json: false, audienceHost: ISSUER_HOST });

it('runs the whole flow on a three-master cluster', async () => {
  const app = nativeApp();
  const [token] = await mintMany([app], 1);
  const response = await fetch(`${base}/auth?${new URLSearchParams({
    client_id: 'example-web', response_type: 'code', redirect_uri: WEB_REDIRECT, scope: 'openid', session_transfer_token: token!,
  })}`, { redirect: 'manual' });
  const code = new URL(response.headers.get('location')!).searchParams.get('code')!;
  const tokens = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('example-web:example-web-secret').toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB_REDIRECT }),
  });
  expect(tokens.status).toBe(200);
  // The keys really are spread over the masters.
  const sizes = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
  expect(sizes.filter((size) => size > 0).length).toBeGreaterThan(1);
  expect(errors.filter((err) => /CROSSSLOT/.test(err.message))).toEqual([]);
}, 30_000);

it('redeems each of 500 tokens exactly once under concurrent presentation', async () => {
  const app = nativeApp();
  const tokens = await mintMany([app], 500);
  const outcomes = await inBatches(tokens.map((token) => async () => {
    const attempts = await Promise.all(Array.from({ length: 4 }, () => redeemAt(base, token)));
    expect(attempts.every((outcome) => outcome === 'code' || outcome === 'login_required')).toBe(true);
    return attempts.filter((outcome) => outcome === 'code').length;
  }), 25);
  expect(outcomes.every((codes) => codes === 1)).toBe(true);
}, 60_000);

it('keeps a session\'s record only when its lineage takes it (record and lineage on different nodes)', async () => {
  const store = new RedisStore({ client, prefix: 'cluster-lineage:', commandTimeout: 1000 });
  const session = { grantId: 'g-cluster', clientId: 'example-native', accountId: 'demo', cascade: true as const };
  expect(await store.saveSession('u-1', session, 60, { max: 1, mintedAt: 100 })).toBe('added');
  expect(await store.saveSession('u-2', session, 60, { max: 1, mintedAt: 100 })).toBe('full');
  expect(await store.endLineage('g-cluster', 100, 60)).toEqual(['session:u-1']);
  expect(await store.saveSession('u-3', session, 60, { max: 5, mintedAt: 100 })).toBe('revoked');
  expect(await Promise.all(['u-1', 'u-2', 'u-3'].map((uid) => store.touchSession(uid)))).toEqual([session, undefined, undefined]);
  expect(errors.filter((err) => /CROSSSLOT/.test(err.message))).toEqual([]);
});

it('works through a plain client to a cluster-mode server (one node, every slot), writing key by key', async () => {
  // A cluster-mode server refuses one command over several hash slots even when it holds them
  // all, as a proxy may: the store then writes a session's record apart from its lineage, and
  // deletes records one by one.
  const server = await startRedisServer(undefined, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--dir', await mkdtemp(join(tmpdir(), 'one-node-'))]);
  const plain = new Redis(server.url);
  try {
    await plain.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    while (!String(await plain.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) await sleep(50);
    const store = new RedisStore({ client: plain, prefix: 'one-node:', commandTimeout: 1000 });
    const session = { grantId: 'g-one', clientId: 'example-native', accountId: 'demo', cascade: true as const };
    expect(await store.saveSession('u-1', session, 60, { max: 5, mintedAt: 100 })).toBe('added');
    expect(await store.saveSession('u-2', session, 60, { max: 5, mintedAt: 100 })).toBe('added');
    expect((await store.endLineage('g-one', 100, 60)).sort()).toEqual(['session:u-1', 'session:u-2']);
    expect(await store.touchSession('u-1')).toEqual(session);
    await store.deleteSessions(['u-1', 'u-2']);
    expect([await store.touchSession('u-1'), await store.touchSession('u-2')]).toEqual([undefined, undefined]);
  } finally {
    plain.disconnect();
    await server.stop();
  }
});

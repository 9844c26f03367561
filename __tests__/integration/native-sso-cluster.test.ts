import { afterAll, beforeAll } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';

import type { ExampleIdentityProvider } from '../../examples/idp/app.js';
import { nativeSsoProvider } from '../helpers/native-sso.js';
import { nativeSsoSuite } from '../helpers/native-sso-suite.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-server.js';

/**
 * OpenID Connect Native SSO 1.0 on a three-master Redis Cluster (the provider's storage too): a
 * device session's keys share one slot, and its apps' grants and web sessions lie on any node.
 */
let cluster: RedisCluster;
let client: Cluster;
let idp: ExampleIdentityProvider;

beforeAll(async () => {
  cluster = await startRedisCluster(await mkdtemp(join(tmpdir(), 'native-sso-cluster-')));
  client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => undefined);
  await client.ping();
  idp = nativeSsoProvider({ redis: client, keyPrefix: 'native-sso:' });
}, 60_000);

afterAll(async () => {
  await idp?.transfer.settled();
  client?.disconnect();
  await cluster?.stop();
});

nativeSsoSuite(() => idp);

import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

import { grantOf, present, storeKeys } from '../helpers/failover-flows.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { crash, until } from '../helpers/replication.js';
import { mintToken } from '../helpers/web-login.js';

/**
 * The guarantee table's standalone rows (docs/storage-and-deployment.md): what a redis-server
 * killed at once (SIGKILL, no shutdown) and started again on its own directory still has. The
 * library and oidc-provider's storage share it, as in the example.
 */

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A redis-server with `persistence` arguments on a directory of its own, a client that reconnects at once, and the identity provider on both. */
async function standalone(persistence: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'crash-restart-'));
  const args = ['--dir', dir, ...persistence];
  const servers: RedisServer[] = [await startRedisServer(undefined, args)];
  const client = new Redis(servers[0]!.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  const idp = testIdentityProvider({ redis: client, keyPrefix: 'crash:' });
  cleanups.push(async () => {
    await idp.transfer.settled().catch(() => undefined);
    client.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  });
  return {
    idp,
    client,
    /** Kills the server and starts it again on the same port and directory; resolves once the client is back. */
    async crashAndRestart() {
      await crash(servers[0]!);
      servers.push(await startRedisServer(servers[0]!.port, args));
      await until('the client to reconnect', async () => await client.ping().catch(() => undefined) === 'PONG');
    },
  };
}

/** Redeems one token, revokes the grant of another, and mints a third; then the server crashes and restarts. */
async function workThenCrash(env: Awaited<ReturnType<typeof standalone>>) {
  const { idp } = env;
  const [spent, voided, kept] = [await mintToken(idp.app), await mintToken(idp.app), await mintToken(idp.app)];
  expect(await present(idp, spent.token)).toBe('code');
  const revokedGrant = await grantOf(idp, voided.native.refresh_token);
  await idp.transfer.revokeGrant(revokedGrant);
  await env.crashAndRestart();
  const mark = Number(await env.client.exists(storeKeys(idp).revokedKey(revokedGrant)));
  return { spent, voided, kept, mark };
}

describe.each(['always', 'everysec'])('AOF, appendfsync %s', (fsync) => {
  it('a process crash right after a consume and a revocation keeps both: the token stays spent, the mark stays, an unused token still signs in', async () => {
    const env = await standalone(['--appendonly', 'yes', '--appendfsync', fsync]);
    const { spent, voided, kept, mark } = await workThenCrash(env);
    expect(mark).toBe(1);
    expect(await present(env.idp, spent.token)).toBe('login');
    expect(await present(env.idp, voided.token)).toBe('login');
    expect(await present(env.idp, kept.token)).toBe('code');
  });
});

describe('no persistence', () => {
  it('a restart loses everything: tokens and marks alike, so no token signs in', async () => {
    const env = await standalone(['--save', '', '--appendonly', 'no']);
    const { spent, voided, kept, mark } = await workThenCrash(env);
    expect(mark).toBe(0);
    for (const token of [spent.token, voided.token, kept.token]) expect(await present(env.idp, token)).toBe('login');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import request from 'supertest';

import { RedisStore, redisAdapter, sessionTransfer, StoreUnavailableError, type ReplicaAcks, type TransferRecord } from '../../lib/index.js';
import { hashToken, generateToken } from '../../lib/token.js';
import { testIdentityProvider } from '../helpers/idp.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { mintToken } from '../helpers/web-login.js';

/**
 * A master with one replica, and a master alone. The replica is stopped (SIGSTOP) to hold back
 * its acknowledgements: a write then reaches the master and not the replica, as in the window
 * before a failover.
 */
let master: RedisServer;
let replica: RedisServer;
let lone: RedisServer;
const clients: Redis[] = [];

const client = (server: RedisServer) => {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return redis;
};

/** Waits until the replica is in sync and acknowledges the master's writes. */
async function linkUp(redis: Redis): Promise<void> {
  for (let tries = 0; !/master_link_status:up/.test(await redis.info('replication')); tries += 1) {
    if (tries > 200) throw new Error('the replica did not connect');
    await sleep(50);
  }
  expect(await client(master).call('WAIT', 1, 5000)).toBe(1);
}

/** Runs `work` with the replica stopped: nothing it does is acknowledged. */
async function replicaStopped<T>(work: () => Promise<T>): Promise<T> {
  process.kill(replica.process.pid!, 'SIGSTOP');
  try {
    return await work();
  } finally {
    process.kill(replica.process.pid!, 'SIGCONT');
  }
}

beforeAll(async () => {
  // No 5 s wait before a full sync (Redis's default), for the replica that rejoins.
  [master, lone] = await Promise.all([startRedisServer(undefined, ['--repl-diskless-sync-delay', '0']), startRedisServer()]);
  replica = await startRedisServer(undefined, ['--replicaof', '127.0.0.1', String(master.port)]);
  await linkUp(client(replica));
}, 30_000);

afterAll(async () => {
  clients.forEach((redis) => redis.disconnect());
  await Promise.all([replica, master, lone].map((server) => server?.stop()));
});

const record = (): TransferRecord => ({
  accountId: 'demo', clientId: 'example-native', grantId: 'grant-1', scope: 'openid', ip: '127.0.0.1',
  iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60,
});

/** 2 s: time enough for an acknowledgement on a busy machine. A stopped replica never gives one: there a short wait does. */
const ACKNOWLEDGED = { replicas: 'auto', timeout: 2000 } as const;
const HELD_BACK = { replicas: 'auto', timeout: 200 } as const;

const storeOn = (redis: Redis, replicaAcks: ReplicaAcks = ACKNOWLEDGED) =>
  new RedisStore({ client: redis, prefix: 'acks:', commandTimeout: 5000, replicaAcks });

const notAcknowledged = expect.objectContaining({ code: 'ERR_SESSION_TRANSFER_STORE_UNAVAILABLE', message: expect.stringContaining('not acknowledged by 1 replica') });

describe('with a replica (replicaAcks "auto")', () => {
  it('a token is consumed once the replica has it, or the consume fails closed', async () => {
    const store = storeOn(client(master));
    const hash = hashToken(generateToken());
    const saved = record();
    await store.save(hash, saved, 60);
    // Acknowledged: the replica holds the replay marker, so a promoted replica would refuse a replay.
    expect(await store.consume(hash, '192.0.2.1')).toEqual(saved);
    expect((await client(replica).getBuffer(store.key(hash)))?.[0]).toBe(0x21);

    const held = hashToken(generateToken());
    await store.save(held, record(), 60);
    await expect(replicaStopped(() => storeOn(client(master), HELD_BACK).consume(held, '192.0.2.1'))).rejects.toEqual(notAcknowledged);
  });

  it('waits for the replica on a save, a lineage write, a lineage end and a cascade\'s deletions', async () => {
    const store = storeOn(client(master), HELD_BACK);
    const session = { grantId: 'grant-1', clientId: 'example-native', accountId: 'demo', cascade: true as const };
    // Once with the replica: Redis then knows the scripts (a first EVALSHA's NOSCRIPT costs a second wait).
    await storeOn(client(master)).saveSession('uid-0', session, 60, { max: 10, mintedAt: 1 });
    await storeOn(client(master)).endLineage('grant-0', 1, 60);
    await replicaStopped(async () => {
      await expect(store.save(hashToken(generateToken()), record(), 60)).rejects.toEqual(notAcknowledged);
      await expect(store.saveSession('uid-1', session, 60, { max: 10, mintedAt: 1 })).rejects.toEqual(notAcknowledged);
      await expect(store.addChild('grant-1', 'grant:web-1', 60, 10)).rejects.toEqual(notAcknowledged);
      await expect(store.endLineage('grant-1', 1, 60)).rejects.toEqual(notAcknowledged);
      await expect(store.deleteSessions(['uid-1'])).rejects.toEqual(notAcknowledged);
    });
    // Reads and the rate count do not wait: a failover that undoes them loses nothing that matters.
    await replicaStopped(async () => {
      expect(await store.countIssued('grant-2', 60)).toBe(1);
      expect(await store.transfersRevokedAt('grant-2')).toBeUndefined();
    });
  });

  it('keeps waiting when the master loses its replica: a partition does not turn the guarantee off', async () => {
    const redis = client(master);
    const store = storeOn(redis, HELD_BACK);
    await storeOn(redis).save(hashToken(generateToken()), record(), 60);
    await client(replica).replicaof('NO', 'ONE');
    try {
      for (let tries = 0; /connected_slaves:[1-9]/.test(await redis.info('replication')); tries += 1) await sleep(20);
      await expect(store.save(hashToken(generateToken()), record(), 60)).rejects.toEqual(notAcknowledged);
    } finally {
      await client(replica).replicaof('127.0.0.1', master.port);
      await linkUp(client(replica));
    }
  });

  it('never waits with replicaAcks: false, and waits for as many replicas as a number says', async () => {
    const off = storeOn(client(master), false);
    const hash = hashToken(generateToken());
    const saved = record();
    await off.save(hash, saved, 60);
    expect(await replicaStopped(() => off.consume(hash))).toEqual(saved);

    const two = storeOn(client(master), { replicas: 2, timeout: 50 });
    await expect(two.save(hashToken(generateToken()), record(), 60)).rejects.toThrow(/not acknowledged by 2 replicas within 50 ms \([01] did\)/);
  });

  it('the provider adapter waits for the replica on a consume, a destroy and a grant\'s revocation', async () => {
    const adapter = (model: string) => redisAdapter({ client: client(master), prefix: `acks-oidc:${Math.random()}:`, replicaAcks: { timeout: 200 } })(model);
    const codes = adapter('AuthorizationCode');
    await codes.upsert('code-0', { grantId: 'grant-0', accountId: 'demo' }, 60);
    await codes.upsert('code-1', { grantId: 'grant-9', accountId: 'demo' }, 60);
    await codes.consume('code-0');
    await replicaStopped(async () => {
      await expect(codes.consume('code-1')).rejects.toEqual(notAcknowledged);
      await expect(codes.destroy('code-1')).rejects.toEqual(notAcknowledged);
      await expect(codes.revokeByGrantId('grant-9')).rejects.toEqual(notAcknowledged);
    });
  });

  it('oidc-provider answers 503 server_error when a revocation\'s delete is not acknowledged (not 500)', async () => {
    const redis = client(master);
    const { app } = testIdentityProvider(
      { redis, keyPrefix: 'acks-http:', replicaAcks: ACKNOWLEDGED, commandTimeout: 5000 },
      { adapter: redisAdapter({ client: redis, prefix: 'acks-http-oidc:', replicaAcks: ACKNOWLEDGED, commandTimeout: 5000 }) },
    );
    const { native } = await mintToken(app);
    const revoked = await replicaStopped(() => request(app).post('/token/revocation').type('form')
      .send({ client_id: 'example-native', token: native.refresh_token }));
    expect(revoked.status).toBe(503);
    expect(revoked.body).toEqual({ error: 'server_error', error_description: expect.any(String) });
  });

  it('says what a failover can undo', async () => {
    const guarantees = await sessionTransfer({ redis: client(master), startupSummary: false }).guarantees();
    expect(guarantees).toEqual({
      topology: 'standalone', replicaAcks: { replicas: 'auto', timeout: 250 }, masters: 1, waiting: 1, summary: expect.stringContaining('undoes none of them'),
    });
    const off = await sessionTransfer({ redis: client(master), replicaAcks: false, startupSummary: false }).guarantees();
    expect(off.summary).toContain('a consumed token may then redeem again');
  });
});

describe('without a replica', () => {
  it('"auto" waits for none (nothing can be promoted over the master) and says so', async () => {
    const store = storeOn(client(lone));
    const hash = hashToken(generateToken());
    const saved = record();
    await store.save(hash, saved, 60);
    expect(await store.consume(hash)).toEqual(saved);
    const guarantees = await sessionTransfer({ redis: client(lone), startupSummary: false }).guarantees();
    expect(guarantees).toMatchObject({ waiting: 0, summary: expect.stringContaining('the master has no replica') });
  });

  it('"auto" on a server that refuses INFO fails closed, saying what to set', async () => {
    // As some managed services do: INFO renamed away.
    const refusing = await startRedisServer(undefined, ['--rename-command', 'INFO', '']);
    try {
      await expect(storeOn(client(refusing)).save(hashToken(generateToken()), record(), 60))
        .rejects.toThrow(/replicaAcks 'auto' could not read INFO replication \(ERR unknown command .*\): set replicaAcks.replicas to a number, or replicaAcks to false/);
    } finally {
      await refusing.stop();
    }
  });

  it('a fixed count fails closed instead', async () => {
    const store = storeOn(client(lone), { replicas: 1, timeout: 20 });
    await expect(store.save(hashToken(generateToken()), record(), 60)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('the option', () => {
  it.each([
    [{ replicas: -1 }, 'options.replicaAcks.replicas must be "auto" or an integer from 0 to 16'],
    [{ replicas: 'all' }, 'options.replicaAcks.replicas must be "auto" or an integer from 0 to 16'],
    [{ timeout: 1000 }, 'options.replicaAcks.timeout must be an integer from 1 to 999 (less than commandTimeout, 1000 ms)'],
    [{ wait: 1 }, 'options.replicaAcks.wait is not a setting (known: replicas, timeout)'],
    [true, 'options.replicaAcks must be false or { replicas?, timeout? }'],
  ])('refuses %j, naming the setting', (replicaAcks, message) => {
    expect(() => sessionTransfer({ redis: client(lone), replicaAcks: replicaAcks as never })).toThrow(message);
  });

  it('is for Redis only', async () => {
    const { MemoryStore } = await import('../../lib/index.js');
    expect(() => sessionTransfer({ store: new MemoryStore(), replicaAcks: false })).toThrow('options.replicaAcks applies to options.redis only');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { tokenKey } from '../helpers/stored-token.js';
import { AUDIENCE, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { redeemAt } from '../helpers/http-flow.js';
import { nativeLogin } from '../helpers/native-login.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

interface Sample { kind: 'mint' | 'redeem'; at: number; ms: number; outcome: string; token?: string }

let server: RedisServer;
let redis: ReturnType<typeof redisClient>;
let checker: ReturnType<typeof redisClient>;
let http: Server;
let base: string;
let refreshToken: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startRedisServer();
  redis = redisClient(server.url);
  checker = redisClient(server.url);
  // The provider's own storage stays in memory: this is about the library's Redis paths.
  // Mints that time out while Redis is paused still count once it resumes: room for all of them.
  const { app } = testIdentityProvider({ redis, keyPrefix: 'faults:', maxTokensPerGrant: 1000 }, { adapter: undefined });
  http = app.listen(0, '127.0.0.1');
  await once(http, 'listening');
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  // A confidential backend's refresh token does not rotate, so concurrent mints can share it.
  refreshToken = (await nativeLogin(base, { clientId: 'backend', redirectUri: 'https://backend.example/cb', clientSecret: 'backend-secret' })).refresh_token;
}, 30_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  http?.close();
  redis?.disconnect();
  checker?.disconnect();
  await server?.stop();
});

async function mintOnce(): Promise<{ outcome: string; token?: string }> {
  const response = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('backend:backend-secret').toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, audience: AUDIENCE }),
  });
  const body = await response.json() as { access_token?: string; error?: string };
  return response.status === 200 ? { outcome: 'ok', token: body.access_token } : { outcome: `${response.status} ${body.error}` };
}

/** Mints and redeems from `workers` loops until `stop()`; bounded by `maxMs` whatever happens. */
function load(pool: string[], workers = 4, maxMs = 20_000) {
  const samples: Sample[] = [];
  let running = true;
  const started = Date.now();
  const loop = async () => {
    while (running && Date.now() - started < maxMs) {
      const t0 = Date.now();
      const minted = await mintOnce().catch((err: Error) => ({ outcome: `failed ${err.message}`, token: undefined }));
      samples.push({ kind: 'mint', at: t0, ms: Date.now() - t0, ...minted });
      const token = pool.pop();
      if (token) {
        const t1 = Date.now();
        const outcome = await redeemAt(base, token, 'unbound-web', 'https://unbound-web.example/cb').catch((err: Error) => `failed ${err.message}`);
        samples.push({ kind: 'redeem', at: t1, ms: Date.now() - t1, outcome });
      }
      if (minted.token) pool.unshift(minted.token);
      await sleep(25); // a steady load, not a spin while requests fail fast
    }
  };
  const done = Promise.all(Array.from({ length: workers }, loop));
  return { samples, stop: async () => { running = false; await done; } };
}

const between = (samples: Sample[], from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to);

describe('Redis stopped and restarted under load', () => {
  it('refuses quickly while down, never mints what it did not store, and recovers by itself', async () => {
    // A reserve of tokens, so that redemptions go on while nothing can be minted.
    const pool = await Promise.all(Array.from({ length: 150 }, async () => (await mintOnce()).token!));
    const traffic = load(pool);
    await sleep(1000);

    const down = Date.now();
    await server.stop();
    await sleep(2000);
    const downSamples = between(traffic.samples, down + 200, Date.now());

    server = await startRedisServer(server.port);
    const restarted = Date.now();
    let recoveredAt: number | undefined;
    while (!recoveredAt && Date.now() - restarted < 10_000) {
      await sleep(100);
      recoveredAt = traffic.samples.find((s) => s.kind === 'mint' && s.at > restarted && s.outcome === 'ok')?.at;
    }
    await sleep(500);
    await traffic.stop();

    // While down: every mint is a 503 server_error, every redemption the login prompt.
    const mintsDown = downSamples.filter((s) => s.kind === 'mint');
    const redeemsDown = downSamples.filter((s) => s.kind === 'redeem');
    expect({ mintsDown: mintsDown.length > 5, redeemsDown: redeemsDown.length > 0 }).toEqual({ mintsDown: true, redeemsDown: true });
    expect(new Set(mintsDown.map((s) => s.outcome))).toEqual(new Set(['503 server_error']));
    expect(new Set(redeemsDown.map((s) => s.outcome))).toEqual(new Set(['login_required']));

    // No request hung.
    expect(Math.max(...traffic.samples.map((s) => s.ms))).toBeLessThan(2000);
    // Back by itself, within seconds.
    expect(recoveredAt! - restarted).toBeLessThan(5000);
    // Every token minted after the restart is in Redis (nothing answered 200 unstored).
    const after = traffic.samples.filter((s) => s.kind === 'mint' && s.at > restarted && s.token);
    expect({ mintedAfterRestart: after.length > 0 }).toEqual({ mintedAfterRestart: true });
    const stored = await Promise.all(after.map((s) => checker.exists(tokenKey(checker, 'faults:', s.token!))));
    const redeemedSince = traffic.samples.filter((s) => s.kind === 'redeem' && s.at > restarted && s.outcome === 'code').length;
    expect(stored.filter((exists) => exists === 1).length + redeemedSince).toBeGreaterThanOrEqual(after.length);
    expect(unhandled).toEqual([]);
  }, 40_000);
});

describe('Redis very slow (CLIENT PAUSE)', () => {
  it('answers within the command timeout, with clear errors, and carries on after', async () => {
    const pool = await Promise.all(Array.from({ length: 5 }, async () => (await mintOnce()).token!));
    await checker.call('CLIENT', 'PAUSE', '2500', 'ALL');
    const started = Date.now();
    const [minted, redeemed] = await Promise.all([mintOnce(), redeemAt(base, pool[0]!, 'unbound-web', 'https://unbound-web.example/cb')]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(minted.outcome).toBe('503 server_error');
    expect(redeemed).toBe('login_required');

    await sleep(2600);
    expect((await mintOnce()).outcome).toBe('ok');
    expect(await redeemAt(base, pool[1]!, 'unbound-web', 'https://unbound-web.example/cb')).toBe('code');
    expect(unhandled).toEqual([]);
  }, 20_000);
});

describe('with the provider itself on the Redis adapter', () => {
  it('answers promptly with server_error while Redis is down, and recovers by itself', async () => {
    const own = await startRedisServer();
    const client = redisClient(own.url);
    const { app } = testIdentityProvider({ redis: client, keyPrefix: 'adapter-faults:', maxTokensPerGrant: 1000 });
    const listening = app.listen(0, '127.0.0.1');
    try {
      await once(listening, 'listening');
      const url = `http://127.0.0.1:${(listening.address() as { port: number }).port}`;
      const native = await nativeLogin(url, { clientId: 'backend', redirectUri: 'https://backend.example/cb', clientSecret: 'backend-secret' });
      const mint = () => fetch(`${url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('backend:backend-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: native.refresh_token, audience: AUDIENCE }),
      });
      expect((await mint()).status).toBe(200);

      await own.stop();
      const started = Date.now();
      const refused = await mint();
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: 'server_error' });
      // A plain refresh is oidc-provider's own: the adapter's error carries the 503.
      const refresh = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('backend:backend-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: native.refresh_token }),
      });
      expect(refresh.status).toBe(503);
      expect(await refresh.json()).toMatchObject({ error: 'server_error' });
      expect(Date.now() - started).toBeLessThan(2000);

      const restarted = await startRedisServer(own.port);
      Object.assign(own, restarted);
      // The provider's data went with the unpersisted Redis; a new login works again.
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i += 1) {
        await sleep(100);
        status = (await fetch(`${url}/.well-known/openid-configuration`)).status;
      }
      const again = await nativeLogin(url, { clientId: 'backend', redirectUri: 'https://backend.example/cb', clientSecret: 'backend-secret' });
      expect(again.refresh_token).toEqual(expect.any(String));
      expect(unhandled).toEqual([]);
    } finally {
      listening.close();
      listening.closeAllConnections();
      client.disconnect();
      await own.stop();
    }
  }, 30_000);
});

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { once } from 'node:events';
import request from 'supertest';

import { AUDIENCE, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

let server: RedisServer;
let redis: ReturnType<typeof redisClient>;

beforeAll(async () => {
  server = await startRedisServer();
  redis = redisClient(server.url);
  await redis.ping();
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

it('answers server_error quickly while Redis is down, issues nothing, and recovers without a restart', async () => {
  // The provider's own storage stays in memory: this is about the token store's outage alone.
  const { app, transfer } = testIdentityProvider({ redis }, { adapter: undefined });
  const reasons: string[] = [];
  transfer.on('issue_failed', (event) => reasons.push(event.reason));
  const mint = (refreshToken: string) => request(app).post('/token').type('form').send({
    grant_type: 'refresh_token', client_id: 'example-native', refresh_token: refreshToken, audience: AUDIENCE,
  });

  const first = await mint((await nativeLogin(app)).refresh_token);
  expect(first.status).toBe(200);
  const refreshToken: string = first.body.refresh_token;

  await server.stop();
  const started = Date.now();
  const down = await mint(refreshToken);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(down.status).toBe(503);
  expect(down.body).toEqual({ error: 'server_error', error_description: 'session transfer is temporarily unavailable' });
  expect(reasons).toEqual(['store_unavailable']);

  server = await startRedisServer(server.port);
  if (redis.status !== 'ready') await once(redis, 'ready');

  // The refresh token was neither rotated nor consumed by the refused mint.
  const again = await mint(refreshToken);
  expect(again.status).toBe(200);
  // One token (and its grant's mint count): the refused mint left nothing.
  expect((await redis.keys('st:*')).filter((key) => !key.startsWith('st:issued:'))).toHaveLength(1);
});

/**
 * The benchmarked identity provider, run as its own process by bench/run.ts: the example
 * provider with the library's store on one Redis and oidc-provider's adapter on another, so the
 * store's Redis counts exactly the library's commands and memory.
 */
import { Redis } from 'ioredis';

import { createIdentityProvider } from '../examples/idp/app.js';
import { redisAdapter } from '../lib/index.js';

const store = new Redis(process.env.STORE_REDIS_URL!);
const adapter = new Redis(process.env.ADAPTER_REDIS_URL!);

const { app } = createIdentityProvider({
  issuer: 'http://localhost:3000',
  // The benchmark mints from one refresh token as fast as it can: the per-grant cap is lifted.
  transfer: { redis: store, maxTokensPerGrant: 1_000_000 },
  clients: [{
    // A confidential app whose refresh token does not rotate: the same request can be repeated.
    client_id: 'bench-native',
    client_secret: 'bench-secret',
    redirect_uris: ['https://bench.example/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true },
  }],
  configuration: { adapter: redisAdapter({ client: adapter }), rotateRefreshToken: false },
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  store.disconnect();
  adapter.disconnect();
});

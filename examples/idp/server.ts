import { Redis } from 'ioredis';

import { MemoryStore, redisAdapter } from '../../lib/index.js';
import { createIdentityProvider } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const issuer = process.env.ISSUER ?? `http://localhost:${port}`;
const redisUrl = process.env.REDIS_URL;

const redis = redisUrl ? new Redis(redisUrl) : undefined;
redis?.on('error', (err) => console.error('redis:', err.message));

const { app, transfer } = createIdentityProvider({
  issuer,
  transfer: redis ? { redis } : { store: new MemoryStore() },
  // With Redis, oidc-provider's sessions, grants and tokens live there too (several processes, restarts).
  configuration: redis ? { adapter: redisAdapter({ client: redis }) } : undefined,
  accessLog: process.env.ACCESS_LOG ? console.log : undefined,
});

transfer.on('issued', (event) => console.log('session transfer token issued', event));
transfer.on('issue_failed', (event) => console.log('session transfer token refused', event));
transfer.on('redeemed', (event) => console.log('session transfer token redeemed', event));
transfer.on('rejected', (event) => console.log('session transfer token rejected', event));
transfer.on('session_revoked', (event) => console.log('session ended by a transfer', event));

app.listen(port, () => {
  console.log(`identity provider: ${issuer} (discovery: ${issuer}/.well-known/openid-configuration)`);
  console.log(`storage: ${redis ? `Redis at ${redisUrl}` : 'in-process memory (set REDIS_URL for Redis)'}`);
});

import { Redis } from 'ioredis';

import { MemoryStore } from '../../lib/index.js';
import { createIdentityProvider } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const issuer = process.env.ISSUER ?? `http://localhost:${port}`;
const redisUrl = process.env.REDIS_URL;

const redis = redisUrl ? new Redis(redisUrl) : undefined;
redis?.on('error', (err) => console.error('redis:', err.message));

const { app, transfer } = createIdentityProvider({
  issuer,
  transfer: redis ? { redis } : { store: new MemoryStore() },
});

transfer.on('issued', (event) => console.log('session transfer token issued', event));
transfer.on('issue_failed', (event) => console.log('session transfer token refused', event));

app.listen(port, () => {
  console.log(`identity provider: ${issuer} (discovery: ${issuer}/.well-known/openid-configuration)`);
  console.log(`token store: ${redis ? `Redis at ${redisUrl}` : 'in-process memory (set REDIS_URL for Redis)'}`);
});

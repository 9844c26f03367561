/**
 * `npm start`: the example identity provider (http://localhost:3000) and web app
 * (http://localhost:3001). In-process stores unless REDIS_URL is set. PORT, WEB_PORT, ISSUER and
 * WEB_URL change the addresses; ACCESS_LOG=1 logs requests (tokens redacted). Several processes
 * serving one issuer (REDIS_URL, same ISSUER) also need the same JWKS (a JSON array of private
 * JWKs) and COOKIE_KEYS (comma-separated).
 */
import { Redis } from 'ioredis';
import type { JWK } from 'oidc-provider';

import { MemoryStore, redisAdapter } from '../lib/index.js';
import { createIdentityProvider } from './idp/app.js';
import { createWebApp } from './web/app.js';

const port = Number(process.env.PORT ?? 3000);
const webPort = Number(process.env.WEB_PORT ?? 3001);
const issuer = process.env.ISSUER ?? `http://localhost:${port}`;
const webUrl = process.env.WEB_URL ?? `http://localhost:${webPort}`;
const redisUrl = process.env.REDIS_URL;

const redis = redisUrl ? new Redis(redisUrl) : undefined;
redis?.on('error', (err) => console.error('redis:', err.message));

const { app, transfer } = createIdentityProvider({
  issuer,
  webAppUrl: webUrl,
  transfer: redis ? { redis } : { store: new MemoryStore() },
  // With Redis, oidc-provider's sessions, grants and tokens live there too (several processes, restarts).
  configuration: redis ? { adapter: redisAdapter({ client: redis }) } : undefined,
  accessLog: process.env.ACCESS_LOG ? console.log : undefined,
  ...(process.env.JWKS ? { signingKeys: JSON.parse(process.env.JWKS) as JWK[] } : {}),
  ...(process.env.COOKIE_KEYS ? { cookieKeys: process.env.COOKIE_KEYS.split(',') } : {}),
});

transfer.on('issued', (event) => console.log('session transfer token issued', event));
transfer.on('issue_failed', (event) => console.log('session transfer token refused', event));
transfer.on('redeemed', (event) => console.log('session transfer token redeemed', event));
transfer.on('rejected', (event) => console.log('session transfer token rejected', event));
transfer.on('session_revoked', (event) => console.log('session ended by a transfer', event));
transfer.on('cascade_revoked', (event) => console.log('cascade revocation', event));

app.listen(port, () => {
  console.log(`identity provider: ${issuer} (discovery: ${issuer}/.well-known/openid-configuration, your session: ${issuer}/account)`);
  console.log(`storage: ${redis ? `Redis at ${redisUrl}` : 'in-process memory (set REDIS_URL for Redis)'}`);
});
createWebApp({ issuer, baseUrl: webUrl }).listen(webPort, () => {
  console.log(`web app: ${webUrl}`);
  console.log('native app simulator: npm run native -- --help');
});

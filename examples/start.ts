/**
 * `npm start`: the example identity provider (http://localhost:3000/) and web app
 * (http://localhost:3001), listening on every interface (IPv4 and IPv6). The provider answers the
 * Auth0 SDKs as they are (`auth0Compatible`; its issuer ends with "/" as theirs expect). In-process stores unless
 * REDIS_URL is set. PORT and WEB_PORT change the ports (0: any free port), ISSUER and WEB_URL the
 * addresses; ACCESS_LOG=1 logs requests (tokens redacted); CONFIRM_QUERY_TRANSFERS=1 has the user
 * confirm a link-delivered transfer ("Continue as …?"); DEVICE_BINDING_MODE=log_only (default
 * enforce) has the web app's IP binding report a mismatch and let the transfer through. Several
 * processes serving one issuer (REDIS_URL, same ISSUER) also need the same JWKS (a JSON array of
 * private JWKs) and COOKIE_KEYS (comma-separated). METRICS_PORT serves OpenTelemetry metrics for
 * Prometheus at /metrics on that port (0: any free port); examples/grafana/ has a dashboard for them.
 */
import './node-version.js';
import { Redis } from 'ioredis';
import type { JWK } from 'oidc-provider';

import { MemoryStore, redisAdapter, type DeviceBindingMode } from '../lib/index.js';
import { AUTH0_SDK_READY, startExampleServers } from './servers.js';
import { servePrometheusMetrics } from './telemetry/prometheus.js';

const port = Number(process.env.PORT ?? 3000);
const webPort = Number(process.env.WEB_PORT ?? 3001);
const redisUrl = process.env.REDIS_URL;
const DEVICE_BINDING_MODES: readonly DeviceBindingMode[] = ['enforce', 'log_only'];
const deviceBindingMode = (process.env.DEVICE_BINDING_MODE || 'enforce') as DeviceBindingMode;
if (!DEVICE_BINDING_MODES.includes(deviceBindingMode)) {
  console.error(`DEVICE_BINDING_MODE=${deviceBindingMode} is not a device binding mode: use ${DEVICE_BINDING_MODES.join(' or ')}`);
  process.exit(1);
}

const redis = redisUrl ? new Redis(redisUrl) : undefined;
redis?.on('error', (err) => console.error('redis:', err.message));

// Before the provider exists: the library takes its meter from the global provider when created.
const metricsPort = process.env.METRICS_PORT ? Number(process.env.METRICS_PORT) : undefined;
const metrics = metricsPort === undefined ? undefined : await servePrometheusMetrics(metricsPort).catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err;
  console.error(`port ${metricsPort} is in use: stop what runs there, or choose another with METRICS_PORT=… npm start`);
  process.exit(1);
});

const example = await startExampleServers({
  port,
  webPort,
  issuer: process.env.ISSUER || AUTH0_SDK_READY.issuer,
  webUrl: process.env.WEB_URL || undefined,
  transfer: { ...(redis ? { redis } : { store: new MemoryStore() }), auth0Compatible: AUTH0_SDK_READY.auth0Compatible },
  // With Redis, oidc-provider's sessions, grants and tokens live there too (several processes, restarts).
  configuration: redis ? { adapter: redisAdapter({ client: redis }) } : undefined,
  accessLog: process.env.ACCESS_LOG ? console.log : undefined,
  confirmQueryTransfers: process.env.CONFIRM_QUERY_TRANSFERS === '1',
  deviceBindingMode,
  ...(process.env.JWKS ? { signingKeys: JSON.parse(process.env.JWKS) as JWK[] } : {}),
  ...(process.env.COOKIE_KEYS ? { cookieKeys: process.env.COOKIE_KEYS.split(',') } : {}),
}).catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err;
  console.error(`port ${(err as { port?: number }).port} is in use: stop what runs there, or choose others with PORT=… WEB_PORT=… npm start`);
  process.exit(1);
});

const { issuer, webUrl, ports, transfer } = example;
transfer.on('issued', (event) => console.log('session transfer token issued', event));
transfer.on('issue_failed', (event) => console.log('session transfer token refused', event));
transfer.on('redeemed', (event) => console.log('session transfer token redeemed', event));
transfer.on('rejected', (event) => console.log('session transfer token rejected', event));
transfer.on('ignored', (event) => console.log('session transfer token ignored', event));
transfer.on('session_revoked', (event) => console.log('session ended by a transfer', event));
transfer.on('cascade_revoked', (event) => console.log('cascade revocation', event));

console.log(`identity provider: ${issuer} (listening on port ${ports.idp}; discovery: ${new URL('.well-known/openid-configuration', issuer).href}, your session: ${new URL('/account', issuer).href})`);
console.log(`storage: ${redis ? `Redis at ${redisUrl}` : 'in-process memory (set REDIS_URL for Redis)'}`);
console.log(`web app: ${webUrl} (listening on port ${ports.web})${deviceBindingMode === 'log_only' ? '; device binding: log_only (mismatches are reported, not refused)' : ''}`);
if (metrics) console.log(`metrics: http://localhost:${metrics.port}/metrics (Prometheus, listening on port ${metrics.port}; dashboard: examples/grafana/session-transfer.json)`);
console.log(`native app simulator: npm run native${port === 3000 && webPort === 3001 ? '' : ` (with PORT=${ports.idp} WEB_PORT=${ports.web})`} -- --help`);

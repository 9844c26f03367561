/**
 * The benchmarked identity provider, run as its own process by bench/run.ts: the example
 * provider with the library's store on STORE_REDIS and oidc-provider's adapter on ADAPTER_REDIS,
 * each a redis:// URL (two servers, so the store's Redis counts exactly the library's commands
 * and memory) or a comma-separated list of Redis Cluster nodes (host:port). BENCH_TELEMETRY=1
 * registers OpenTelemetry's SDK first (see ./telemetry.ts); BENCH_TELEMETRY=sdk does too, and
 * turns the library's own instrumentation off (`telemetry: false`). BENCH_REPLICA_ACKS=off turns replica
 * acknowledgements off in both the store and the adapter (`replicaAcks: false`); otherwise both keep
 * the default (`'auto'`: `WAIT` for one replica wherever the master reports one, as R's master
 * does in bench/run.ts, and A's, B's, T's and U's do not). BENCH_AUTO_PIPELINING=1 gives both ioredis
 * clients `enableAutoPipelining: true` (a host's choice, which bench/run.ts does not make: kept for
 * measuring it).
 */
import './telemetry.js';

import { Cluster, Redis } from 'ioredis';
import type { ClientMetadata } from 'oidc-provider';

import { createIdentityProvider } from '../examples/idp/app.js';
import { redisAdapter } from '../lib/index.js';

const enableAutoPipelining = process.env.BENCH_AUTO_PIPELINING === '1';
const connect = (spec: string) => (spec.startsWith('redis://')
  ? new Redis(spec, { enableAutoPipelining })
  : new Cluster(spec.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })), { enableAutoPipelining }));
const store = connect(process.env.STORE_REDIS!);
const adapter = connect(process.env.ADAPTER_REDIS!);
/** `undefined`: the default, `{ replicas: 'auto', timeout: 250 }`. */
const replicaAcks = process.env.BENCH_REPLICA_ACKS === 'off' ? false : undefined;

const { app } = createIdentityProvider({
  issuer: 'http://localhost:3000',
  transfer: {
    redis: store,
    // The benchmark mints from one refresh token as fast as it can, and redeems tens of thousands
    // of its tokens (the cascade row: 10,000 under one grant): the per-grant caps are lifted.
    maxTokensPerGrant: 1_000_000,
    maxLineagePerGrant: 100_000,
    // Each round's tokens are minted before the round and must outlive it.
    ttl: 300,
    // The device logout row: its second app signs in by the exchange before the device session
    // holds any web session (`maxApps` counts every child of the device session, sessions too),
    // so the default cap is enough; the transfer tokens minted from the device secret count
    // under the device session's id (`device:<id>`) against the caps lifted above.
    nativeSso: {},
    ...(process.env.BENCH_TELEMETRY === 'sdk' ? { telemetry: false } : {}),
    ...(replicaAcks === undefined ? {} : { replicaAcks }),
  },
  // Processes serving one issuer share their cookie keys.
  cookieKeys: ['bench-cookie-key'],
  clients: [{
    // A confidential app whose refresh token does not rotate: the same request can be repeated.
    // Cascade revocation is on by default (`enforce_cascade_revocation`).
    client_id: 'bench-native',
    client_secret: 'bench-secret',
    redirect_uris: ['https://bench.example/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true },
  }, ...['bench-sso-first', 'bench-sso-second'].map((clientId): ClientMetadata => ({
    // Native SSO apps of one vendor (the device logout row): the first signs in with `device_sso`
    // and gets a device secret, the second signs in from it by the exchange; both may mint
    // (the second from the device secret and from its refresh token). Confidential, as bench-native.
    client_id: clientId,
    client_secret: 'bench-secret',
    redirect_uris: ['https://bench.example/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true, native_sso: true },
  }))],
  configuration: { adapter: redisAdapter({ client: adapter, ...(replicaAcks === undefined ? {} : { replicaAcks }) }), rotateRefreshToken: false },
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  store.disconnect();
  adapter.disconnect();
});

/**
 * `npm start`: the example identity provider (http://localhost:3000/) and web app
 * (http://localhost:3001), listening on every interface (IPv4 and IPv6). The provider answers the
 * Auth0 SDKs as they are (`auth0Compatible`; its issuer ends with "/" as theirs expect). Its
 * clients: example-native, example-web, example-spa for a single-page app at SPA_URL
 * (default http://localhost:3002/; comma-separated for several) and support-console (Session
 * Delegation into example-web: npm run delegate), plus those of CLIENTS_FILE (a JSON array of
 * client metadata). In-process stores unless Redis is named: REDIS_URL (one server),
 * REDIS_SENTINELS (comma-separated host:port, with REDIS_SENTINEL_NAME, default mymaster) or
 * REDIS_CLUSTER (comma-separated host:port); REDIS_REPLICA_ACKS (auto, a number, off) is the
 * library's replicaAcks. Start-up prints what a Redis failover can undo (transfer.guarantees()),
 * or that this is unknown until Redis answers. PORT and WEB_PORT change
 * the ports (0: any free port), ISSUER and WEB_URL the addresses; TRUST_PROXY (false, a hop count
 * such as 1, or comma-separated CIDR ranges) trusts the TLS-terminating proxy in front, whose
 * X-Forwarded-* headers then give the endpoints' https and host and the client IP. ACCESS_LOG=1
 * logs requests (tokens redacted); CONFIRM_QUERY_TRANSFERS=1 has the user confirm a
 * link-delivered transfer ("Continue as …?"); DEVICE_BINDING_MODE=log_only (default enforce) has
 * the browser clients' IP binding report a mismatch and let the transfer through. Several
 * processes serving one issuer (REDIS_URL, same ISSUER) also need the same JWKS (a JSON array of
 * private JWKs) and COOKIE_KEYS (comma-separated). METRICS_PORT serves OpenTelemetry metrics for
 * Prometheus at /metrics on that port (0: any free port); examples/grafana/ has a dashboard for
 * them. docs/example.md describes each setting. A value that cannot be used stops start-up with
 * one line naming it.
 */
import './node-version.js';
import { Cluster, Redis } from 'ioredis';

import { MemoryStore, redisAdapter } from '../lib/index.js';
import { clientsFileRefusal, loadClients, readClientsFile, type ClientsFile } from './clients-file.js';
import { DEFAULT_SPA_URL, exampleClients } from './idp/app.js';
import { AUTH0_SDK_READY, startExampleServers } from './servers.js';
import { readSettings, SettingError, trustProxyRefusal, type RedisNode, type RedisSetting, type StartSettings } from './settings.js';
import { servePrometheusMetrics } from './telemetry/prometheus.js';

/** Stops start-up with one line: a setting that cannot be used needs no stack trace. */
function refuse(line: string): never {
  console.error(line);
  process.exit(1);
}

let settings: StartSettings;
let clientsFile: ClientsFile | undefined;
try {
  settings = readSettings(process.env);
  const builtInIds = exampleClients().map((client) => String(client.client_id));
  clientsFile = settings.clientsFile ? await readClientsFile(settings.clientsFile, builtInIds) : undefined;
} catch (err) {
  if (!(err instanceof SettingError)) throw err;
  refuse(err.message);
}
const { port, webPort, deviceBindingMode, metricsPort, replicaAcks } = settings;

/**
 * The one ioredis client of the library and the provider's adapter. Sentinel and Cluster clients
 * fail a command after one retry rather than queueing it through a failover: the library fails
 * closed meanwhile (docs/storage-and-deployment.md).
 */
function redisClient(setting: RedisSetting): Redis | Cluster {
  switch (setting.topology) {
    case 'url': return new Redis(setting.url);
    case 'sentinel': return new Redis({ sentinels: setting.sentinels, name: setting.name, maxRetriesPerRequest: 1 });
    case 'cluster': return new Cluster(setting.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  }
}

const hostPorts = (nodes: RedisNode[]) => nodes.map(({ host, port: nodePort }) => (host.includes(':') ? `[${host}]:${nodePort}` : `${host}:${nodePort}`)).join(', ');

function storageLine(setting: RedisSetting | undefined): string {
  switch (setting?.topology) {
    case undefined: return 'in-process memory (set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER for Redis)';
    case 'url': return `Redis at ${setting.url}`;
    case 'sentinel': return `Redis master "${setting.name}" through the sentinels at ${hostPorts(setting.sentinels)}`;
    case 'cluster': return `Redis Cluster at ${hostPorts(setting.nodes)}`;
  }
}

const redis = settings.redis ? redisClient(settings.redis) : undefined;
redis?.on('error', (err) => console.error('redis:', err.message));
// The library's replicaAcks, for the tokens and for oidc-provider's one-time codes and tokens alike.
const acks = replicaAcks === undefined ? {} : { replicaAcks };

// Before the provider exists: the library takes its meter from the global provider when created.
const metrics = metricsPort === undefined ? undefined : await servePrometheusMetrics(metricsPort).catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err;
  refuse(`port ${metricsPort} is in use: stop what runs there, or choose another with METRICS_PORT=… npm start`);
});

const example = await startExampleServers({
  port,
  webPort,
  issuer: settings.issuer ?? AUTH0_SDK_READY.issuer,
  webUrl: settings.webUrl,
  spaUrls: settings.spaUrls,
  clients: clientsFile?.clients,
  transfer: {
    ...(redis ? { redis, ...acks } : { store: new MemoryStore() }),
    auth0Compatible: AUTH0_SDK_READY.auth0Compatible,
    trustProxy: settings.trustProxy,
  },
  // With Redis, oidc-provider's sessions, grants and tokens live there too (several processes, restarts).
  configuration: redis ? { adapter: redisAdapter({ client: redis, ...acks }) } : undefined,
  accessLog: settings.accessLog ? console.log : undefined,
  confirmQueryTransfers: settings.confirmQueryTransfers,
  deviceBindingMode,
  signingKeys: settings.signingKeys,
  cookieKeys: settings.cookieKeys,
}).catch((err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE') {
    refuse(`port ${(err as { port?: number }).port} is in use: stop what runs there, or choose others with PORT=… WEB_PORT=… npm start`);
  }
  const line = trustProxyRefusal(err, process.env.TRUST_PROXY) ?? clientsFileRefusal(err, clientsFile)?.message;
  if (line) refuse(line);
  throw err;
});
if (clientsFile) {
  await loadClients(example.provider, clientsFile).catch((err: unknown) => {
    if (err instanceof SettingError) refuse(err.message);
    throw err;
  });
}

const { issuer, webUrl, ports, transfer } = example;
transfer.on('issued', (event) => console.log('session transfer token issued', event));
transfer.on('issue_failed', (event) => console.log('session transfer token refused', event));
transfer.on('redeemed', (event) => console.log('session transfer token redeemed', event));
transfer.on('rejected', (event) => console.log('session transfer token rejected', event));
transfer.on('ignored', (event) => console.log('session transfer token ignored', event));
transfer.on('session_revoked', (event) => console.log('session ended by a transfer', event));
transfer.on('cascade_revoked', (event) => console.log('cascade revocation', event));

/** The library's advice: match errors on `code`, not on the class. */
const unavailable = (err: unknown) => (err as { code?: unknown })?.code === 'ERR_SESSION_TRANSFER_STORE_UNAVAILABLE';
/** What a Redis failover can undo, in one line; while Redis does not answer, why not. */
const guarantees = await transfer.guarantees().then(({ summary }) => ({ summary }), (err: Error) => {
  if (!unavailable(err)) throw err;
  return { unknown: err.message };
});

/** Asks again every 2 s until Redis answers, then prints the guarantees. */
function guaranteesOnceRedisAnswers(): void {
  let asking = false;
  const retry = setInterval(() => {
    if (asking) return;
    asking = true;
    transfer.guarantees().then(({ summary }) => {
      clearInterval(retry);
      console.log(`guarantees (Redis answers now): ${summary}`);
    }, (err: Error) => {
      if (!unavailable(err)) {
        clearInterval(retry);
        console.error('guarantees:', err.message);
      }
    }).finally(() => { asking = false; });
  }, 2000);
  retry.unref();
}

console.log(`identity provider: ${issuer} (listening on port ${ports.idp}; discovery: ${new URL('.well-known/openid-configuration', issuer).href}, your session: ${new URL('/account', issuer).href})`);
console.log(`storage: ${storageLine(settings.redis)}`);
if ('summary' in guarantees) {
  console.log(`guarantees: ${guarantees.summary}`);
} else {
  console.log(`guarantees: unknown until Redis answers (${guarantees.unknown}); printed here once it does`);
  guaranteesOnceRedisAnswers();
}
console.log(`web app: ${webUrl} (listening on port ${ports.web})${deviceBindingMode === 'log_only' ? '; device binding: log_only (mismatches are reported, not refused)' : ''}`);
console.log(`single-page app client example-spa: ${(settings.spaUrls ?? [DEFAULT_SPA_URL]).join(', ')} (not served here: run yours there)`);
if (clientsFile) console.log(`clients from ${clientsFile.path}: ${clientsFile.clients.map((client) => client.client_id).join(', ')}`);
if (settings.trustProxy !== false) console.log(`trusted proxies: ${process.env.TRUST_PROXY} (X-Forwarded-Proto, -Host and -For from them are believed)`);
if (metrics) console.log(`metrics: http://localhost:${metrics.port}/metrics (Prometheus, listening on port ${metrics.port}; dashboard: examples/grafana/session-transfer.json)`);
// The simulators find the servers by the same variables.
const withPorts = port === 3000 && webPort === 3001 ? '' : ` (with PORT=${ports.idp} WEB_PORT=${ports.web})`;
console.log(`native app simulator: npm run native${withPorts} -- --help`);
console.log(`support console (Session Delegation): npm run delegate${withPorts} -- --user demo@example.com (signs in agent other@example.com)`);

import { Redis } from 'ioredis';
import type { ClientMetadata, Configuration } from 'oidc-provider';

import { createIdentityProvider, type ExampleIdentityProvider } from '../../examples/idp/app.js';
import { redisAdapter, type SessionTransferOptions } from '../../lib/index.js';

export const ISSUER = 'http://localhost:3000';
export const AUDIENCE = 'urn:localhost:3000:session_transfer';
export const STT_TYPE = 'urn:auth0:params:oauth:token-type:session_transfer_token';
export const RT_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';
export const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Clients the tests add to the example's two. */
export const testClients: ClientMetadata[] = [
  {
    // A native app that may not mint.
    client_id: 'plain-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['com.example.plain:/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
  {
    // A second minting native app (refresh tokens of one are not the other's).
    client_id: 'second-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['com.example.second:/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true },
  },
  {
    // A web client that accepts no transfer.
    client_id: 'closed-web',
    client_secret: 'closed-web-secret',
    redirect_uris: ['http://localhost:3002/callback'],
    response_types: ['code'],
  },
  webTestClient('query-web', { allowed_authentication_methods: ['query'] }),
  webTestClient('cookie-web', { allowed_authentication_methods: ['cookie'] }),
  webTestClient('refresh-web', { allowed_authentication_methods: ['query'], allow_refresh_token: true }),
  webTestClient('unbound-web', { allowed_authentication_methods: ['query'], enforce_device_binding: 'none' }),
  webTestClient('consenting-web', { allowed_authentication_methods: ['query'] }, false),
  webTestClient('asn-web', { allowed_authentication_methods: ['query'], enforce_device_binding: 'asn' }),
  webTestClient('offline-web', { allowed_authentication_methods: ['query'], allow_refresh_token: true, enforce_online_refresh_tokens: false }),
  {
    // A native app whose transfers do not cascade.
    client_id: 'nocascade-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['com.example.nocascade:/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true, enforce_cascade_revocation: false },
  },
  webTestClient('logonly-web', { allowed_authentication_methods: ['query'], device_binding_mode: 'log_only' }),
  webTestClient('confirming-web', { allowed_authentication_methods: ['query', 'cookie'], confirm_query_transfers: true }),
  {
    // A native app whose tokens are never redeemed under weaker binding than ip.
    client_id: 'strict-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['com.example.strict:/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true, minimum_device_binding: 'ip' },
  },
  webTestClient('prefix-web', { allowed_authentication_methods: ['query'], ipv6_prefix_length: 64 }),
  {
    // A confidential backend that mints on behalf of devices and names their IP.
    ...webTestClient('backend', { can_create_session_transfer_token: true }, false),
    is_token_endpoint_ip_header_trusted: true,
  },
];

/** A confidential web client `<id>` with secret `<id>-secret` and redirect URI `https://<id>.example/cb`. */
export function webTestClient(clientId: string, settings: Record<string, unknown>, firstParty = true): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: `${clientId}-secret`,
    redirect_uris: [`https://${clientId}.example/cb`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    is_first_party: firstParty,
    session_transfer: settings,
  };
}

/** A Redis client for one test file, with fast failure so a stopped Redis shows at once. */
export function redisClient(url = process.env.REDIS_URL!): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, disconnectTimeout: 100, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  return client;
}

/**
 * The example identity provider with the test clients. With a Redis client, oidc-provider's own
 * storage is the library's Redis adapter too (under `<keyPrefix>oidc:`), so the integration
 * suite runs the provider as production would.
 */
export function testIdentityProvider(
  transfer: SessionTransferOptions,
  configuration?: Configuration,
): ExampleIdentityProvider {
  const adapter = transfer.redis ? redisAdapter({ client: transfer.redis, prefix: `${transfer.keyPrefix ?? 'st:'}oidc:` }) : undefined;
  return settledBeforeQuit(createIdentityProvider({ issuer: ISSUER, transfer, clients: testClients, configuration: { adapter, ...configuration } }));
}

/** Every identity provider of this suite, whose cascades' background work `quitRedis` waits for. */
const providers = new Set<ExampleIdentityProvider>();

/** Registers an identity provider made without `testIdentityProvider`; returns it. */
export function settledBeforeQuit(idp: ExampleIdentityProvider): ExampleIdentityProvider {
  providers.add(idp);
  return idp;
}

/** Closes a suite's Redis client once the cascades' background tidy-ups are done (as a host would at shutdown). */
export async function quitRedis(redis: Redis): Promise<void> {
  await Promise.all([...providers].map(({ transfer }) => transfer.settled()));
  await redis.quit();
}

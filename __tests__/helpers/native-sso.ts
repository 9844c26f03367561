import request from 'supertest';
import type { App } from 'supertest/types.js';
import type { ClientMetadata } from 'oidc-provider';

import { createIdentityProvider, type ExampleIdentityProvider } from '../../examples/idp/app.js';
import { redisAdapter, type ClientSessionTransferInput, type SessionTransferOptions } from '../../lib/index.js';
import { EXCHANGE, ISSUER, settledBeforeQuit, testClients } from './idp.js';
import { nativeLogin, type NativeTokens } from './native-login.js';

/** `subject_token_type` and `actor_token_type` of a Native SSO exchange (the spec's device-secret type since draft 07). */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const DEVICE_SECRET_TYPE = 'urn:openid:params:token-type:device-secret';
/** The type Okta's and Authgear's SDKs send. */
export const LEGACY_DEVICE_SECRET_TYPE = 'urn:x-oath:params:oauth:token-type:device-secret';

/** A public native app `<id>` with redirect URI `com.example.<id>:/callback`, a Native SSO app unless told. */
export function nativeSsoApp(clientId: string, settings: ClientSessionTransferInput = {}, metadata: Partial<ClientMetadata> = {}): ClientMetadata {
  return {
    client_id: clientId,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`com.example.${clientId}:/callback`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { native_sso: true, ...settings },
    ...metadata,
  };
}

/**
 * The example identity provider with Native SSO on, its storage in Redis as production's, the
 * test clients and the Native SSO apps `sso-first` and `sso-second` (and `apps`).
 */
export function nativeSsoProvider(transfer: SessionTransferOptions, apps: ClientMetadata[] = []): ExampleIdentityProvider {
  const adapter = transfer.redis ? redisAdapter({ client: transfer.redis, prefix: `${transfer.keyPrefix ?? 'st:'}oidc:` }) : undefined;
  return settledBeforeQuit(createIdentityProvider({
    issuer: ISSUER,
    transfer: { nativeSso: {}, ...transfer },
    clients: [...testClients, nativeSsoApp('sso-first'), nativeSsoApp('sso-second'), ...apps],
    configuration: { adapter },
  }));
}

export type DeviceTokens = NativeTokens & { device_secret?: string };

/** A sign-in of app `clientId` with `device_sso`, through the browser: its tokens and device secret. */
export function deviceLogin(app: App, clientId: string, scope = 'openid offline_access email device_sso'): Promise<DeviceTokens> {
  return nativeLogin(app, { clientId, redirectUri: `com.example.${clientId}:/callback`, scope }) as Promise<DeviceTokens>;
}

/** A Native SSO exchange as the spec's example sends it (§4.2), with `overrides` (undefined drops a parameter). */
export function exchange(app: App, clientId: string, from: { id_token?: string; device_secret?: string }, overrides: Record<string, string | undefined> = {}) {
  const body = Object.fromEntries(Object.entries({
    client_id: clientId,
    grant_type: EXCHANGE,
    audience: ISSUER,
    subject_token: from.id_token,
    subject_token_type: ID_TOKEN_TYPE,
    actor_token: from.device_secret,
    actor_token_type: DEVICE_SECRET_TYPE,
    scope: 'openid offline_access email device_sso',
    ...overrides,
  }).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return request(app).post('/token').type('form').send(body);
}

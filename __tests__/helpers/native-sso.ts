import request from 'supertest';
import type { App } from 'supertest/types.js';
import type { ClientMetadata, Configuration } from 'oidc-provider';

import { createIdentityProvider, type ExampleIdentityProvider } from '../../examples/idp/app.js';
import { redisAdapter, type ClientSessionTransferInput, type SessionTransferOptions } from '../../lib/index.js';
import { AUDIENCE, EXCHANGE, ISSUER, settledBeforeQuit, STT_TYPE, testClients } from './idp.js';
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
 * The Native SSO apps of the suites: `sso-first` signs in through the browser; `sso-second` may
 * mint transfer tokens from its refresh token; `sso-third` has no refresh token and mints from the
 * device secret; `sso-picky` hands its session to `sso-second` only; `sso-loner` takes sessions
 * from no app of the suite (the trust map).
 */
export const NATIVE_SSO_APPS: ClientMetadata[] = [
  nativeSsoApp('sso-first'),
  nativeSsoApp('sso-second', { can_create_session_transfer_token: true }),
  nativeSsoApp('sso-third', { can_create_session_transfer_token: true }, { grant_types: ['authorization_code'] }),
  nativeSsoApp('sso-picky', { transfer_to: ['sso-second'] }),
  nativeSsoApp('sso-loner', { accept_from: ['sso-nobody'] }),
];

/**
 * The example identity provider with Native SSO on, its storage in Redis as production's, the
 * test clients and the Native SSO apps `sso-first` and `sso-second` (and `apps`).
 */
export function nativeSsoProvider(transfer: SessionTransferOptions, apps: ClientMetadata[] = [], configuration: Configuration = {}): ExampleIdentityProvider {
  const adapter = transfer.redis ? redisAdapter({ client: transfer.redis, prefix: `${transfer.keyPrefix ?? 'st:'}oidc:` }) : undefined;
  return settledBeforeQuit(createIdentityProvider({
    issuer: ISSUER,
    transfer: { nativeSso: {}, ...transfer },
    clients: [...testClients, ...NATIVE_SSO_APPS, ...apps],
    configuration: { adapter, ...configuration },
  }));
}

export type DeviceTokens = NativeTokens & { device_secret?: string };

/** A sign-in of app `clientId` with `device_sso`, through the browser (`agent`, a new one by default): its tokens and device secret. */
export function deviceLogin(app: App, clientId: string, scope = 'openid offline_access email device_sso', agent?: NativeTokens['agent']): Promise<DeviceTokens> {
  return nativeLogin(app, { clientId, redirectUri: `com.example.${clientId}:/callback`, scope, ...(agent ? { agent } : {}) }) as Promise<DeviceTokens>;
}

/** A transfer token minted by `clientId` from its device secret and an ID token of its device session (Authgear's model). */
export function mintFromDeviceSecret(app: App, clientId: string, from: { id_token?: string; device_secret?: string }, overrides: Record<string, string | undefined> = {}) {
  return exchange(app, clientId, from, { requested_token_type: STT_TYPE, audience: AUDIENCE, scope: undefined, ...overrides });
}

/** A refresh of app `clientId`'s refresh token, with `extra` parameters. */
export function refresh(app: App, clientId: string, refreshToken: string, extra: Record<string, string> = {}) {
  return request(app).post('/token').type('form').send({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, ...extra });
}

/** Revokes a device secret at the revocation endpoint as Okta's SDKs do (`token_type_hint=device_secret`), as app `clientId`. */
export function revokeDeviceSecret(app: App, clientId: string, deviceSecret: string) {
  return request(app).post('/token/revocation').type('form').send({ client_id: clientId, token: deviceSecret, token_type_hint: 'device_secret' });
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

import { ClientMetadataError } from './errors.js';

/** The client metadata property that holds a client's settings, as in Auth0's client object. */
export const METADATA_KEY = 'session_transfer';

/** @category Client metadata */
export type AuthenticationMethod = 'cookie' | 'query';
/** @category Client metadata */
export type DeviceBinding = 'ip' | 'asn' | 'none';
/** @category Client metadata */
export type DeviceBindingMode = 'enforce' | 'log_only';

/**
 * Per-client settings, with Auth0's names and defaults.
 * @category Client metadata
 */
export interface ClientSessionTransfer {
  /** Native side: the client may exchange its refresh tokens for Session Transfer Tokens. */
  can_create_session_transfer_token: boolean;
  /** Native side: revoking the parent refresh token or grant ends the web sessions it spawned. */
  enforce_cascade_revocation: boolean;
  /**
   * Native side, beyond Auth0: the weakest device binding under which its tokens may be redeemed,
   * whatever the web client's `enforce_device_binding` (or `log_only`) says. `none` (default): the
   * web client's setting alone, as in Auth0.
   */
  minimum_device_binding: DeviceBinding;
  /** Web side: how a token may arrive at the authorization endpoint. */
  allowed_authentication_methods: AuthenticationMethod[];
  /** Web side: what must match between the minting and the redeeming request. */
  enforce_device_binding: DeviceBinding;
  /**
   * Web side, beyond Auth0: `log_only` reports a binding mismatch (event `rejected` with
   * `logOnly: true`) but lets the transfer go ahead, to measure false rejects before enforcing.
   */
  device_binding_mode: DeviceBindingMode;
  /**
   * Web side, beyond Auth0: with `ip` binding, IPv6 addresses match when they share this many
   * leading bits (64 suits mobile devices, which rotate their interface identifiers). `null`:
   * exact match.
   */
  ipv6_prefix_length: number | null;
  /** Web side: refresh tokens may be issued to sessions created from a transfer. */
  allow_refresh_token: boolean;
  /** Web side: those refresh tokens end with the session. */
  enforce_online_refresh_tokens: boolean;
  /**
   * Web side, beyond Auth0: a token that arrives by query into a browser with no session is not
   * signed in silently; the login prompt asks the user to confirm who they become (login CSRF
   * defence). `interaction_required` under `prompt=none`.
   */
  confirm_query_transfers: boolean;
  /**
   * Web side (Auth0's Session Delegation): whether tokens minted for another user by a delegating
   * client (`token_exchange`) may sign a browser in here, and the binding they are held to.
   */
  delegation: ClientDelegation;
  /**
   * Native side, the trust map (beyond Auth0; Okta's per-target allowlist): the client ids of the
   * web clients its tokens may sign a browser in to. `null` (default): any client that accepts
   * tokens.
   */
  transfer_to: string[] | null;
  /**
   * Web side, the trust map: the client ids of the clients whose tokens (their own or delegated)
   * may sign a browser in here. `null` (default): any client that may mint.
   */
  accept_from: string[] | null;
  /**
   * Native side, OpenID Connect Native SSO (beyond Auth0; needs `options.nativeSso`): the app gets
   * a device secret when it signs in with the `device_sso` scope, and may sign in by exchanging
   * another app's ID token and device secret. The trust map's lists, when set, say between which
   * apps. Default false.
   */
  native_sso: boolean;
  /**
   * Web side, beyond Auth0: a logout at the end-session endpoint from this client, of a browser
   * session created from a transfer, also signs out the native app the transfer came from (its
   * grant, with the cascade; with Native SSO, every app of its device session). Default false:
   * a web logout ends the web session only.
   */
  logout_native: boolean;
}

/**
 * A target web client's Session Delegation settings, Auth0's names and defaults.
 * @category Client metadata
 */
export interface ClientDelegation {
  /** Delegated tokens may be redeemed (by query, into a browser with no session). Default false. */
  allow_delegated_access: boolean;
  /** Always `ip`, the only value Auth0 documents: the exact address that asked for the token. */
  enforce_device_binding: 'ip';
}

/**
 * What a client's `session_transfer` metadata may hold: any of the settings, the rest defaulted
 * (`null` for `allowed_authentication_methods` means none, as in Auth0). Check a client with
 * `session_transfer: { … } satisfies ClientSessionTransferInput`.
 * @category Client metadata
 */
export type ClientSessionTransferInput = {
  [K in keyof ClientSessionTransfer]?: K extends 'allowed_authentication_methods' ? ClientSessionTransfer[K] | null
    : K extends 'delegation' ? Partial<ClientDelegation> | null : ClientSessionTransfer[K];
};

/** @category Client metadata */
export const clientDefaults: Readonly<ClientSessionTransfer> = Object.freeze({
  can_create_session_transfer_token: false,
  enforce_cascade_revocation: true,
  minimum_device_binding: 'none',
  allowed_authentication_methods: [],
  enforce_device_binding: 'ip',
  device_binding_mode: 'enforce',
  ipv6_prefix_length: null,
  allow_refresh_token: false,
  enforce_online_refresh_tokens: true,
  confirm_query_transfers: false,
  delegation: Object.freeze({ allow_delegated_access: false, enforce_device_binding: 'ip' as const }),
  transfer_to: null,
  accept_from: null,
  native_sso: false,
  logout_native: false,
});

const BOOLEAN_FIELDS = [
  'can_create_session_transfer_token',
  'enforce_cascade_revocation',
  'allow_refresh_token',
  'enforce_online_refresh_tokens',
  'confirm_query_transfers',
  'native_sso',
  'logout_native',
] as const;
const METHODS: readonly AuthenticationMethod[] = ['cookie', 'query'];
const BINDINGS: readonly DeviceBinding[] = ['ip', 'asn', 'none'];
const MODES: readonly DeviceBindingMode[] = ['enforce', 'log_only'];
const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/**
 * Validates one client's `session_transfer` value and fills in the defaults. Absent (or null)
 * means every default. Throws `ClientMetadataError` naming the client and the field.
 */
export function resolveClientSettings(clientId: string, value: unknown): ClientSessionTransfer {
  if (value === undefined || value === null) return { ...clientDefaults, allowed_authentication_methods: [] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ClientMetadataError(clientId, METADATA_KEY, 'must be an object');
  }
  const input = value as Record<string, unknown>;
  const settings: ClientSessionTransfer = { ...clientDefaults, allowed_authentication_methods: [] };

  for (const [field, given] of Object.entries(input)) {
    if ((BOOLEAN_FIELDS as readonly string[]).includes(field)) {
      if (typeof given !== 'boolean') throw new ClientMetadataError(clientId, `${METADATA_KEY}.${field}`, 'must be a boolean');
      settings[field as (typeof BOOLEAN_FIELDS)[number]] = given;
    } else if (field === 'allowed_authentication_methods') {
      if (given === null) continue; // Auth0 allows null for "none"
      if (!Array.isArray(given) || !given.every((m) => METHODS.includes(m))) {
        throw new ClientMetadataError(clientId, `${METADATA_KEY}.${field}`, `must be an array of ${quoted(METHODS)}`);
      }
      settings.allowed_authentication_methods = [...new Set(given as AuthenticationMethod[])];
    } else if (field === 'enforce_device_binding' || field === 'minimum_device_binding') {
      if (!BINDINGS.includes(given as DeviceBinding)) {
        throw new ClientMetadataError(clientId, `${METADATA_KEY}.${field}`, `must be one of ${quoted(BINDINGS)}`);
      }
      settings[field] = given as DeviceBinding;
    } else if (field === 'device_binding_mode') {
      if (!MODES.includes(given as DeviceBindingMode)) {
        throw new ClientMetadataError(clientId, `${METADATA_KEY}.${field}`, `must be one of ${quoted(MODES)}`);
      }
      settings.device_binding_mode = given as DeviceBindingMode;
    } else if (field === 'delegation') {
      settings.delegation = resolveDelegation(clientId, given);
    } else if (field === 'transfer_to' || field === 'accept_from') {
      settings[field] = resolveClientList(clientId, field, given);
    } else if (field === 'ipv6_prefix_length') {
      if (given !== null && (!Number.isInteger(given) || (given as number) < 1 || (given as number) > 128)) {
        throw new ClientMetadataError(clientId, `${METADATA_KEY}.${field}`, 'must be an integer from 1 to 128, or null');
      }
      settings.ipv6_prefix_length = given as number | null;
    } else {
      throw new ClientMetadataError(clientId, `${METADATA_KEY}.${field}`, 'is not a known setting');
    }
  }
  // The trust map's lists only narrow what the client does: set where it does nothing, they are a mistake.
  if (settings.transfer_to && !settings.can_create_session_transfer_token && !settings.native_sso) {
    throw new ClientMetadataError(clientId, `${METADATA_KEY}.transfer_to`,
      'is set on a client that hands no session on (can_create_session_transfer_token and native_sso are false)');
  }
  if (settings.accept_from && settings.allowed_authentication_methods.length === 0 && !settings.delegation.allow_delegated_access && !settings.native_sso) {
    throw new ClientMetadataError(clientId, `${METADATA_KEY}.accept_from`,
      'is set on a client that accepts no session (allowed_authentication_methods is empty and native_sso is false)');
  }
  if (settings.logout_native && settings.allowed_authentication_methods.length === 0) {
    throw new ClientMetadataError(clientId, `${METADATA_KEY}.logout_native`, 'is set on a client that accepts no tokens (allowed_authentication_methods is empty)');
  }
  return settings;
}

/** Validates a trust-map list: null, or a non-empty array of client ids. */
function resolveClientList(clientId: string, field: 'transfer_to' | 'accept_from', value: unknown): string[] | null {
  if (value === null) return null;
  const path = `${METADATA_KEY}.${field}`;
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string' && id.length > 0)) {
    throw new ClientMetadataError(clientId, path, 'must be an array of client ids, or null for any client');
  }
  if (value.length === 0) {
    throw new ClientMetadataError(clientId, path, field === 'transfer_to'
      ? 'must name a client: to mint for none, set can_create_session_transfer_token to false'
      : 'must name a client: to accept no tokens, set allowed_authentication_methods to []');
  }
  return [...new Set(value as string[])];
}

/** Validates `session_transfer.delegation` (null: the defaults, as Auth0 allows). */
function resolveDelegation(clientId: string, value: unknown): ClientDelegation {
  const path = `${METADATA_KEY}.delegation`;
  if (value === null) return clientDefaults.delegation;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ClientMetadataError(clientId, path, 'must be an object');
  const delegation = { ...clientDefaults.delegation };
  for (const [field, given] of Object.entries(value as Record<string, unknown>)) {
    if (field === 'allow_delegated_access') {
      if (typeof given !== 'boolean') throw new ClientMetadataError(clientId, `${path}.${field}`, 'must be a boolean');
      delegation.allow_delegated_access = given;
    } else if (field === 'enforce_device_binding') {
      if (given !== 'ip') throw new ClientMetadataError(clientId, `${path}.${field}`, 'must be "ip": a delegated token is always bound to the address that asked for it');
    } else {
      throw new ClientMetadataError(clientId, `${path}.${field}`, 'is not a known setting (known: allow_delegated_access, enforce_device_binding)');
    }
  }
  return delegation;
}

/**
 * Client metadata (Auth0's name) of a client that may mint by Custom Token Exchange: with
 * `{ allow_any_profile_of_type: ['custom_authentication'] }` it mints Session Transfer Tokens for
 * other users (Session Delegation), its own ID token as the actor.
 */
export const TOKEN_EXCHANGE_KEY = 'token_exchange';
const PROFILE_TYPES = ['custom_authentication'] as const;

/**
 * Validates `token_exchange`: an object whose `allow_any_profile_of_type` lists
 * `custom_authentication` or nothing; never on a public client (anyone could mint for anyone).
 * True when the client may delegate.
 */
export function resolveTokenExchange(clientId: string, value: unknown, authMethod: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ClientMetadataError(clientId, TOKEN_EXCHANGE_KEY, 'must be an object');
  const { allow_any_profile_of_type: types, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ClientMetadataError(clientId, `${TOKEN_EXCHANGE_KEY}.${unknown}`, 'is not a known setting (known: allow_any_profile_of_type)');
  const path = `${TOKEN_EXCHANGE_KEY}.allow_any_profile_of_type`;
  if (types === undefined || types === null) return false;
  if (!Array.isArray(types) || !types.every((type) => (PROFILE_TYPES as readonly unknown[]).includes(type))) {
    throw new ClientMetadataError(clientId, path, `must be an array of ${quoted(PROFILE_TYPES)}`);
  }
  const delegates = types.length > 0;
  if (delegates && authMethod === 'none') {
    throw new ClientMetadataError(clientId, path, 'cannot be set on a public client: only a confidential client may mint for another user');
  }
  return delegates;
}

/** Whether a loaded client may mint delegated tokens (its `token_exchange` was validated when oidc-provider loaded it). */
export function delegates(client: object): boolean {
  const value = (client as Record<string, { allow_any_profile_of_type?: unknown[] } | undefined>)[TOKEN_EXCHANGE_KEY];
  return Boolean(value?.allow_any_profile_of_type?.includes('custom_authentication'));
}

/**
 * Client metadata marking a web client first-party (Auth0's name): a login from a transfer then
 * records consent for the requested scopes instead of showing a consent screen. Never honoured
 * for native clients.
 */
export const FIRST_PARTY_KEY = 'is_first_party';

/** A top-level boolean flag, absent = false, and refused as true where `refusal` says why. */
function flag(clientId: string, key: string, value: unknown, refusal: string | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ClientMetadataError(clientId, key, 'must be a boolean');
  if (value && refusal) throw new ClientMetadataError(clientId, key, refusal);
  return value;
}

/** Validates `is_first_party`: a boolean, and never true on a native client. */
export function resolveFirstParty(clientId: string, value: unknown, applicationType: unknown): boolean {
  return flag(clientId, FIRST_PARTY_KEY, value, applicationType === 'native'
    ? 'cannot be true for a native client (consent is never skipped for native apps)' : undefined);
}

/**
 * Client metadata (Auth0's name) marking a confidential client — a backend minting on behalf of
 * a device — whose forwarded-for header (`forwardedForHeader`) names the device's IP.
 */
export const IP_HEADER_TRUSTED_KEY = 'is_token_endpoint_ip_header_trusted';

/** Validates `is_token_endpoint_ip_header_trusted`: a boolean, true only on a confidential client. */
export function resolveIpHeaderTrusted(clientId: string, value: unknown, authMethod: unknown): boolean {
  return flag(clientId, IP_HEADER_TRUSTED_KEY, value, authMethod === 'none'
    ? 'cannot be true for a public client (anyone could claim any IP)' : undefined);
}

/**
 * The first setting that grants a client trust beyond the defaults — any `session_transfer` value
 * other than the default, `is_first_party` or `is_token_endpoint_ip_header_trusted` — as its
 * metadata path; undefined when there is none.
 */
export function trustGranted(settings: ClientSessionTransfer, firstParty: boolean, ipHeaderTrusted: boolean, delegating = false): string | undefined {
  const changed = (Object.keys(clientDefaults) as (keyof ClientSessionTransfer)[])
    .find((field) => JSON.stringify(settings[field]) !== JSON.stringify(clientDefaults[field]));
  if (changed) return `${METADATA_KEY}.${changed}`;
  if (firstParty) return FIRST_PARTY_KEY;
  if (delegating) return `${TOKEN_EXCHANGE_KEY}.allow_any_profile_of_type`;
  return ipHeaderTrusted ? IP_HEADER_TRUSTED_KEY : undefined;
}

const loaded = new WeakMap<object, ClientSessionTransfer>();

/**
 * The settings of a client oidc-provider has loaded (validated and defaulted at load time; read
 * once per client object).
 */
export function clientSettings(client: { clientId: string }): ClientSessionTransfer {
  let settings = loaded.get(client);
  if (!settings) {
    settings = resolveClientSettings(client.clientId, (client as unknown as Record<string, unknown>)[METADATA_KEY]);
    loaded.set(client, settings);
  }
  return settings;
}

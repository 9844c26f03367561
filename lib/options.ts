import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

import type { AsnResolver } from './binding/asn.js';
import { proxyTrust, type ProxyTrust, type TrustProxy } from './binding/trust-proxy.js';
import type { RedeemHook } from './redeem/hook.js';
import { OptionsError } from './errors.js';
import type { RedisClient } from './store/redis-store.js';
import { REPLICA_ACKS_DEFAULT, resolveReplicaAcks, type ReplicaAcks, type ReplicaAcksOption } from './store/replica-acks.js';
import type { TelemetryOptions } from './telemetry/telemetry.js';
import { DEVICE_SESSION_OPERATIONS, type TransferStore } from './store/store.js';

/**
 * Where the library keeps its tokens: exactly one of `redis` and `store` (the types require one;
 * `resolveOptions` checks it again for JavaScript callers).
 * @category Setup
 */
export type TokenStorageOption =
  | {
    /**
     * The ioredis client (standalone, Sentinel or Cluster) that holds the tokens. The library never
     * creates or closes it.
     */
    redis: RedisClient;
    store?: undefined;
  }
  | {
    redis?: undefined;
    /**
     * A custom token store instead of `redis`, e.g. `new MemoryStore()` for development (it warns
     * once: it is not for production).
     */
    store: TransferStore;
  };

/**
 * Every option of the library, with its default. Validated once, when the library is created;
 * a wrong value throws `OptionsError` naming the option.
 * @category Setup
 */
export type SessionTransferOptions = TokenStorageOption & SessionTransferSettings;

/**
 * The options besides where tokens are kept (`TokenStorageOption`), each with its default.
 * @category Setup
 */
export interface SessionTransferSettings {
  /** Prefix of every Redis key the library writes, after the client's own `keyPrefix`. Default `"st:"`. */
  keyPrefix?: string;
  /**
   * Longest wait for one Redis command in milliseconds (default 1000, 50–30000). Past it the
   * store counts as unavailable: nothing is minted and no token is accepted.
   */
  commandTimeout?: number;
  /**
   * Whether the writes a Redis failover must not undo wait for replicas (`WAIT`, pipelined on the
   * same connection): a token's save and consume, a web session's place in its parent's lineage,
   * a cascade's revocation mark and deletions. A write not acknowledged in time fails closed, as
   * when Redis is down. Default `{ replicas: 'auto', timeout: 250 }`: one replica wherever the
   * master has one (see `ReplicaAcksOption`); `false` never waits. Only with `redis`.
   */
  replicaAcks?: ReplicaAcksOption;
  /** Lifetime of a Session Transfer Token in seconds. Default 60, accepted 10–300. */
  ttl?: number;
  /** `issued_token_type` and `requested_token_type` of the token. Default Auth0's URN. */
  tokenType?: string;
  /**
   * The `audience` values that turn a `refresh_token` grant into a mint (the Auth0 SDKs' form).
   * Default: `urn:<issuer host>:session_transfer`, with and without the issuer's port.
   */
  audience?: (issuer: URL) => string[];
  /** Name of the cookie that carries a token to the authorization endpoint. Default Auth0's. */
  cookieName?: string;
  /**
   * The `Domain` the native apps set the token cookie with, when they set one (react-native-auth0's
   * docs use `.yourdomain.com`). A used cookie is then cleared for that domain as well as host-only;
   * a cookie set with a `Domain` is not removed by a host-only clearing. Default: none.
   */
  cookieDomain?: string;
  /**
   * Where the client IP comes from, for the mint and the redeem alike. `false` (default): the
   * socket's address; `X-Forwarded-For` is ignored. A number n (or `{ hops: n }`): the n
   * nearest proxies are trusted. `{ ranges: ['10.0.0.0/8', …] }`: proxies at those addresses
   * are trusted (with `hops` too: only the n nearest, and only in those ranges). The client IP
   * is the first untrusted address walking back from the socket, so the client's own
   * `X-Forwarded-For` entries never win. `attach()` sets oidc-provider's `proxy` and
   * `maxIpsCount`, and Express's `trust proxy` when given the app, to match.
   */
  trustProxy?: false | number | TrustProxy;
  /**
   * Header in which a client marked `is_token_endpoint_ip_header_trusted` (a confidential
   * backend minting for a device) passes the device's IP. Default Auth0's `auth0-forwarded-for`.
   */
  forwardedForHeader?: string;
  /** Resolves the ASN of the minting request's IP, recorded with the token. Default: none. */
  asnResolver?: AsnResolver;
  /** Current time in milliseconds. Default `Date.now`; inject one in tests. */
  clock?: () => number;
  /**
   * Called before a valid token signs a browser in, with the token's issuing context and the
   * redeeming request's. It may deny, or shorten the new session's lifetimes. Default: none.
   */
  onRedeem?: RedeemHook;
  /** Longest wait for `onRedeem` in milliseconds (default 2000, 10–30000); past it, denied. */
  redeemHookTimeout?: number;
  /**
   * Sets metadata on a refresh token when oidc-provider issues one to a client that may mint
   * (Auth0's `api.refreshToken.setMetadata`): the tokens it mints carry it, and the redeem hook
   * sees it as `session.session_transfer.parent_refresh_token.metadata`. Up to 25 string pairs
   * (keys and values up to 255 characters). Default: none.
   */
  refreshTokenMetadata?: RefreshTokenMetadataHook;
  /**
   * Session Delegation (Auth0's name): a confidential client allowed by its `token_exchange`
   * metadata mints a token for another user, its own ID token as the actor, and a web client
   * with `session_transfer.delegation.allow_delegated_access` signs a browser in as that user for
   * a short, marked session. Default: none (delegated requests are refused).
   */
  delegation?: DelegationOptions;
  /**
   * OpenID Connect Native SSO 1.0, beyond Auth0: an app signed in with the `device_sso` scope gets
   * a device secret, and another app of its group on the device (client metadata
   * `session_transfer.native_sso`, the trust map) exchanges it with the first app's ID token for
   * its own tokens, with no browser. Revoking the device secret ends every app signed in from it
   * and the web sessions they created. Default: off (nothing advertised, the scope unknown).
   */
  nativeSso?: NativeSsoOptions;
  /**
   * Answer the Auth0 SDKs as they are (default `false`): `configure()` sets Auth0's endpoint paths
   * (`AUTH0_ROUTES`), the token and revocation endpoints accept JSON bodies for every request
   * (validated exactly like form bodies), and the logout endpoint takes Auth0's `returnTo`.
   */
  auth0Compatible?: boolean;
  /**
   * Whether a client may give itself trust through dynamic registration or its update (RFC
   * 7591/7592): a non-default `session_transfer`, `is_first_party` or
   * `is_token_endpoint_ip_header_trusted`. Called with the request and the metadata; only `true`
   * lets it through. Default: none, so such metadata is refused with `invalid_client_metadata` —
   * these settings are the operator's, as in Auth0.
   */
  registrationPolicy?: RegistrationPolicy;
  /**
   * Most tokens one native grant may mint within one token lifetime (default 20, 1–1000000); past it
   * the mint answers 429 `too_many_requests` and the token is withdrawn. Bounds what a leaked or
   * misbehaving refresh token can fill Redis with.
   */
  maxTokensPerGrant?: number;
  /**
   * Most live sessions and web grants recorded under one native grant for the cascade (default
   * 1000, 1–100000). A transfer that would exceed it is refused (`lineage_full`): nothing is
   * signed in that a cascade could not reach.
   */
  maxLineagePerGrant?: number;
  /**
   * What a replayed token (one presented again after it was used, within its lifetime) does
   * besides being refused with reason `replayed`: `"report"` (default) nothing more;
   * `"revoke_grant"` also revokes its parent grant, with the cascade, since a replay means the
   * token leaked. Beyond Auth0.
   */
  onReplay?: 'report' | 'revoke_grant';
  /**
   * OpenTelemetry metrics and spans (see the instrument table in docs/telemetry.md). Default `{}`: through the
   * global providers of `@opentelemetry/api` when it is installed, read when the library is
   * created (register the SDK first); with no SDK registered they cost nothing measurable.
   * `false` turns them off. No attribute carries a token, nor an account id unless
   * `includeAccountId`.
   */
  telemetry?: false | TelemetryOptions;
  /**
   * Where `attach()` writes its one-line start-up summary: the issuer, which static clients may
   * mint, which accept tokens (by which transport, under which binding), and where failures are
   * reported. Default `console.warn` (standard error, beside oidc-provider's own start-up notes);
   * `false` turns it off. It is a debug line as well.
   */
  startupSummary?: false | ((line: string) => void);
}

/**
 * Native SSO settings (`options.nativeSso`).
 * @category Native SSO
 */
export interface NativeSsoOptions {
  /** Seconds a device session (and its device secret) lives from the sign-in that started it; default 30 days, 300–31536000. */
  lifetime?: number;
  /**
   * Most apps one device session signs in by exchange, the first included; default 20, 1–10000.
   * A sign-in through the browser that renews the device session (the same `sid`) joins past it.
   */
  maxApps?: number;
  /**
   * `audience` values an exchange may carry besides the issuer (the spec's value; its origin and
   * without a trailing slash also pass), such as Okta's SDK default `api://default`. Default none.
   */
  audiences?: string[];
}

/**
 * What `refreshTokenMetadata` is told of the refresh token being issued.
 * @category Redeem hook
 */
export interface RefreshTokenMetadataContext {
  clientId: string;
  accountId: string;
  grantId: string;
  scope: string;
}

/**
 * Answers the metadata of a refresh token being issued, or nothing for none.
 * @category Redeem hook
 */
export type RefreshTokenMetadataHook = (ctx: KoaContextWithOIDC, refreshToken: RefreshTokenMetadataContext) =>
  Record<string, string> | undefined | Promise<Record<string, string> | undefined>;

/**
 * The `delegation` option.
 * @category Delegation
 */
export interface DelegationOptions {
  /**
   * The `subject_token_type` values your `resolveSubject` understands (your own URIs, such as
   * `urn:example:support-ticket`; never the standard `urn:ietf:params:oauth:token-type:…` ones).
   */
  subjectTokenTypes: string[];
  /** Your Custom Token Exchange profile: who the subject token names, or a refusal. */
  resolveSubject: DelegationSubjectResolver;
  /** Longest wait for `resolveSubject` in milliseconds (default 2000, 10–30000); past it, refused. */
  timeout?: number;
  /**
   * Lifetime of a delegated browser session in seconds, absolute and fixed: no refresh tokens, and
   * its access tokens end with it. Default 7200 (Auth0's two hours), accepted 60–86400.
   */
  sessionLifetime?: number;
}

/**
 * What `resolveSubject` is told: the subject token as sent, and who asks (the verified actor).
 * @category Delegation
 */
export interface DelegationSubjectContext {
  subjectToken: string;
  subjectTokenType: string;
  /** The minting client (a support console, say). */
  clientId: string;
  /** The actor: `sub` of the minting client's ID token, verified by the provider. */
  actor: { sub: string };
  /** `scope` and `organization` as sent, if sent. */
  scope?: string;
  organization?: string;
  /** The device the token will be bound to (see `is_token_endpoint_ip_header_trusted`). */
  ip: string;
}

/**
 * Answers the account the delegated session is for (`{ accountId }`), or refuses: nothing (or a
 * throw, or no answer within `timeout`) is `invalid_grant`.
 * @category Delegation
 */
export type DelegationSubjectResolver =
  (context: DelegationSubjectContext) => { accountId: string } | undefined | null | Promise<{ accountId: string } | undefined | null>;

/** `delegation` as validated. */
export type ResolvedDelegation = Required<DelegationOptions>;

/**
 * Decides whether a self-registering client may carry trust-granting metadata; see `registrationPolicy`.
 * @category Setup
 */
export type RegistrationPolicy = (ctx: KoaContextWithOIDC, metadata: ClientMetadata) => boolean;

/**
 * The options as validated, defaults applied: `transfer.options`.
 * @category Setup
 */
export interface ResolvedOptions {
  redis: RedisClient | undefined;
  store: TransferStore | undefined;
  keyPrefix: string;
  commandTimeout: number;
  replicaAcks: ReplicaAcks;
  ttl: number;
  tokenType: string;
  audience: (issuer: URL) => string[];
  cookieName: string;
  cookieDomain: string | undefined;
  trustProxy: ProxyTrust | undefined;
  forwardedForHeader: string;
  asnResolver: AsnResolver | undefined;
  clock: () => number;
  onRedeem: RedeemHook | undefined;
  redeemHookTimeout: number;
  refreshTokenMetadata: RefreshTokenMetadataHook | undefined;
  delegation: ResolvedDelegation | undefined;
  nativeSso: Required<NativeSsoOptions> | undefined;
  auth0Compatible: boolean;
  registrationPolicy: RegistrationPolicy | undefined;
  maxTokensPerGrant: number;
  maxLineagePerGrant: number;
  onReplay: 'report' | 'revoke_grant';
  telemetry: false | Required<Pick<TelemetryOptions, 'includeAccountId'>> & Omit<TelemetryOptions, 'includeAccountId'>;
  startupSummary: ((line: string) => void) | undefined;
}

/** @category Setup */
export const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';
/** The actor token type of a delegated mint: an ID token this provider issued. @category Delegation */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/**
 * `amr` value recorded, beside `TRANSFER_AMR`, on sessions signed in by a delegated token: their
 * codes and ID tokens carry it, with `act`.
 * @category Delegation
 */
export const DELEGATION_AMR = 'session_delegation';
/** @category Setup */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/**
 * `amr` value recorded on sessions created from a transfer; it reaches their codes, tokens and ID
 * tokens, so relying parties can tell, and a refresh token carrying it cannot mint again.
 * @category Setup
 */
export const TRANSFER_AMR = 'session_transfer';
/**
 * The authorization request parameter that carries a token.
 * @category Setup
 */
export const TOKEN_PARAM = 'session_transfer_token';

/** @category Setup */
export const defaults = {
  keyPrefix: 'st:',
  commandTimeout: 1000,
  replicaAcks: REPLICA_ACKS_DEFAULT,
  ttl: 60,
  tokenType: 'urn:auth0:params:oauth:token-type:session_transfer_token',
  audience: (issuer: URL): string[] => [
    ...new Set([`urn:${issuer.host}:session_transfer`, `urn:${issuer.hostname}:session_transfer`]),
  ],
  cookieName: 'auth0_session_transfer_token',
  trustProxy: false,
  forwardedForHeader: 'auth0-forwarded-for',
  clock: Date.now,
  redeemHookTimeout: 2000,
  delegation: { timeout: 2000, sessionLifetime: 7200 },
  nativeSso: { lifetime: 30 * 24 * 3600, maxApps: 20, audiences: [] as string[] },
  auth0Compatible: false,
  maxTokensPerGrant: 20,
  maxLineagePerGrant: 1000,
  onReplay: 'report',
  telemetry: {},
  startupSummary: (line: string): void => console.warn(line),
} as const;

/**
 * The endpoint paths the Auth0 SDKs call, as oidc-provider `routes`; set by `auth0Compatible`.
 * @category Setup
 */
export const AUTH0_ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  revocation: '/oauth/revoke',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  pushed_authorization_request: '/oauth/par',
  end_session: '/v2/logout',
} as const;

/** Every option's name, in the order the options table of docs/configuration.md lists them. */
export const OPTION_NAMES: readonly (keyof SessionTransferOptions)[] = [
  'redis', 'store', 'keyPrefix', 'commandTimeout', 'replicaAcks', 'ttl', 'tokenType', 'audience', 'cookieName',
  'cookieDomain', 'trustProxy', 'forwardedForHeader', 'asnResolver', 'clock', 'onRedeem', 'redeemHookTimeout',
  'refreshTokenMetadata', 'delegation', 'nativeSso', 'auth0Compatible', 'registrationPolicy', 'maxTokensPerGrant', 'maxLineagePerGrant', 'onReplay',
  'telemetry', 'startupSummary',
];

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A host name, optionally with the leading dot of older `Domain` attributes. */
const COOKIE_DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function integer(path: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionsError(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function text(path: string, value: unknown, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) {
    throw new OptionsError(path, pattern ? `must be a string matching ${pattern}` : 'must be a non-empty string');
  }
  return value;
}

function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new OptionsError(path, `must be one of ${allowed.map((v) => `"${v}"`).join(', ')}`);
  return value as T;
}

function bool(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptionsError(path, 'must be a boolean');
  return value;
}

function fn<T>(path: string, value: unknown): T {
  if (typeof value !== 'function') throw new OptionsError(path, 'must be a function');
  return value as T;
}

function resolveTrustProxy(value: unknown): ProxyTrust | undefined {
  if (value === false) return undefined;
  if (typeof value === 'number') return proxyTrust({ hops: integer('trustProxy', value, 1, 10) });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError('trustProxy', 'must be false, a hop count, or { hops?, ranges? }');
  }
  const { hops, ranges, ...rest } = value as TrustProxy;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new OptionsError(`trustProxy.${unknown}`, 'is not a setting (known: hops, ranges)');
  if (hops === undefined && ranges === undefined) throw new OptionsError('trustProxy', 'must give hops, ranges or both');
  if (hops !== undefined) integer('trustProxy.hops', hops, 1, 10);
  if (ranges !== undefined && (!Array.isArray(ranges) || ranges.length === 0)) {
    throw new OptionsError('trustProxy.ranges', 'must be a non-empty array of IP addresses or CIDR ranges');
  }
  try {
    return proxyTrust({ hops, ranges });
  } catch (err) {
    throw new OptionsError('trustProxy.ranges', `must hold IP addresses or CIDR ranges: ${(err as Error).message}`);
  }
}

function resolveTelemetry(value: unknown): ResolvedOptions['telemetry'] {
  if (value === false) return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError('telemetry', 'must be false or { meterProvider?, tracerProvider?, includeAccountId? }');
  }
  const { meterProvider, tracerProvider, includeAccountId = false, ...rest } = value as TelemetryOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new OptionsError(`telemetry.${unknown}`, 'is not a setting (known: meterProvider, tracerProvider, includeAccountId)');
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') {
    throw new OptionsError('telemetry.meterProvider', 'must be an OpenTelemetry MeterProvider (with getMeter())');
  }
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function') {
    throw new OptionsError('telemetry.tracerProvider', 'must be an OpenTelemetry TracerProvider (with getTracer())');
  }
  return { meterProvider, tracerProvider, includeAccountId: bool('telemetry.includeAccountId', includeAccountId) };
}

function resolveDelegation(value: unknown): ResolvedDelegation | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError('delegation', 'must be { subjectTokenTypes, resolveSubject, timeout?, sessionLifetime? }');
  }
  const { subjectTokenTypes, resolveSubject, timeout, sessionLifetime, ...rest } = value as DelegationOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new OptionsError(`delegation.${unknown}`, 'is not a setting (known: subjectTokenTypes, resolveSubject, timeout, sessionLifetime)');
  }
  if (!Array.isArray(subjectTokenTypes) || subjectTokenTypes.length === 0) {
    throw new OptionsError('delegation.subjectTokenTypes', 'must be a non-empty array of token type URIs');
  }
  subjectTokenTypes.forEach((type, i) => {
    const path = `delegation.subjectTokenTypes[${i}]`;
    text(path, type);
    // A standard type means something already; a profile of one's own cannot reuse it.
    if (!URL.canParse(type) || type.startsWith('urn:ietf:params:oauth:')) {
      throw new OptionsError(path, 'must be a URI of your own (not urn:ietf:params:oauth:…)');
    }
  });
  return {
    subjectTokenTypes: [...new Set(subjectTokenTypes)],
    resolveSubject: fn('delegation.resolveSubject', resolveSubject),
    timeout: integer('delegation.timeout', timeout ?? defaults.delegation.timeout, 10, 30_000),
    sessionLifetime: integer('delegation.sessionLifetime', sessionLifetime ?? defaults.delegation.sessionLifetime, 60, 86_400),
  };
}

function resolveNativeSso(value: unknown, store: TransferStore | undefined): Required<NativeSsoOptions> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OptionsError('nativeSso', 'must be an object ({} for the defaults)');
  const { lifetime, maxApps, audiences = [], ...rest } = value as NativeSsoOptions;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new OptionsError(`nativeSso.${unknown}`, 'is not a setting (known: lifetime, maxApps, audiences)');
  if (!Array.isArray(audiences)) throw new OptionsError('nativeSso.audiences', 'must be an array of strings');
  audiences.forEach((audience, i) => text(`nativeSso.audiences[${i}]`, audience));
  const missing = DEVICE_SESSION_OPERATIONS.find((operation) => store !== undefined && typeof store[operation] !== 'function');
  if (missing) throw new OptionsError('nativeSso', `needs a store with device sessions: options.store has no ${missing}() (see DeviceSessionStore)`);
  return {
    lifetime: integer('nativeSso.lifetime', lifetime ?? defaults.nativeSso.lifetime, 300, 31_536_000),
    maxApps: integer('nativeSso.maxApps', maxApps ?? defaults.nativeSso.maxApps, 1, 10_000),
    audiences: [...new Set(audiences)],
  };
}

export function resolveOptions(input: SessionTransferOptions | undefined): ResolvedOptions {
  if (input === null || typeof input !== 'object') {
    throw new OptionsError('', 'must be an object');
  }
  for (const key of Object.keys(input)) {
    if (!OPTION_NAMES.includes(key as keyof SessionTransferOptions)) {
      throw new OptionsError(key, `is not an option (known: ${OPTION_NAMES.join(', ')})`);
    }
  }

  const { redis, store } = input;
  if (redis !== undefined && store !== undefined) {
    throw new OptionsError('store', 'cannot be combined with options.redis: give one of them');
  }
  if (redis === undefined && store === undefined) {
    throw new OptionsError('redis', 'is required: an ioredis client (or options.store, e.g. new MemoryStore() for development)');
  }
  if (redis !== undefined && (typeof redis !== 'object' || typeof redis.getdel !== 'function')) {
    throw new OptionsError('redis', 'must be an ioredis client (Redis or Cluster)');
  }
  if (store !== undefined && (typeof store?.save !== 'function' || typeof store.consume !== 'function')) {
    throw new OptionsError('store', 'must implement save() and consume()');
  }

  if (store !== undefined && input.replicaAcks !== undefined) {
    throw new OptionsError('replicaAcks', 'applies to options.redis only: a custom store decides its own durability');
  }
  const commandTimeout = integer('commandTimeout', input.commandTimeout ?? defaults.commandTimeout, 50, 30_000);
  const trustProxy = resolveTrustProxy(input.trustProxy ?? defaults.trustProxy);

  const asnResolver = input.asnResolver;
  if (asnResolver !== undefined && typeof asnResolver?.lookup !== 'function') {
    throw new OptionsError('asnResolver', 'must have a lookup(ip) method');
  }

  return {
    redis,
    store,
    keyPrefix: input.keyPrefix === undefined ? defaults.keyPrefix : text('keyPrefix', input.keyPrefix),
    commandTimeout,
    replicaAcks: store === undefined ? resolveReplicaAcks('replicaAcks', input.replicaAcks, commandTimeout) : false,
    ttl: integer('ttl', input.ttl ?? defaults.ttl, 10, 300),
    tokenType: text('tokenType', input.tokenType ?? defaults.tokenType),
    audience: fn('audience', input.audience ?? defaults.audience),
    cookieName: text('cookieName', input.cookieName ?? defaults.cookieName, COOKIE_NAME),
    cookieDomain: input.cookieDomain === undefined ? undefined : text('cookieDomain', input.cookieDomain, COOKIE_DOMAIN),
    trustProxy,
    forwardedForHeader: text('forwardedForHeader', input.forwardedForHeader ?? defaults.forwardedForHeader, COOKIE_NAME).toLowerCase(),
    asnResolver,
    clock: fn('clock', input.clock ?? defaults.clock),
    onRedeem: input.onRedeem === undefined ? undefined : fn('onRedeem', input.onRedeem),
    redeemHookTimeout: integer('redeemHookTimeout', input.redeemHookTimeout ?? defaults.redeemHookTimeout, 10, 30_000),
    refreshTokenMetadata: input.refreshTokenMetadata === undefined ? undefined : fn('refreshTokenMetadata', input.refreshTokenMetadata),
    delegation: resolveDelegation(input.delegation),
    nativeSso: resolveNativeSso(input.nativeSso, store),
    auth0Compatible: bool('auth0Compatible', input.auth0Compatible ?? defaults.auth0Compatible),
    registrationPolicy: input.registrationPolicy === undefined ? undefined : fn('registrationPolicy', input.registrationPolicy),
    maxTokensPerGrant: integer('maxTokensPerGrant', input.maxTokensPerGrant ?? defaults.maxTokensPerGrant, 1, 1_000_000),
    maxLineagePerGrant: integer('maxLineagePerGrant', input.maxLineagePerGrant ?? defaults.maxLineagePerGrant, 1, 100_000),
    onReplay: oneOf('onReplay', input.onReplay ?? defaults.onReplay, ['report', 'revoke_grant'] as const),
    telemetry: resolveTelemetry(input.telemetry ?? defaults.telemetry),
    startupSummary: input.startupSummary === false ? undefined : fn('startupSummary', input.startupSummary ?? defaults.startupSummary),
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC, type Provider, type RefreshToken,
} from 'oidc-provider';

import {
  FIRST_PARTY_KEY, IP_HEADER_TRUSTED_KEY, METADATA_KEY, resolveClientSettings, resolveFirstParty, resolveIpHeaderTrusted,
  resolveTokenExchange, TOKEN_EXCHANGE_KEY, trustGranted, type ClientSessionTransfer,
} from './client-metadata.js';
import { debug } from './debug.js';
import { reportDelegatedCodeExchanges } from './delegation/code-exchange.js';
import { ClientMetadataError, OptionsError, UsageError } from './errors.js';
import { SessionTransferEmitter, type CascadeTrigger } from './events.js';
import { forwardedHeadersGuard } from './binding/forwarded-headers.js';
import { clientIp, userAgentOf } from './binding/client-ip.js';
import { normalizeIp } from './binding/ip.js';
import { auth0RequestTranslator } from './mint/auth0-request.js';
import { createMintHandler, GRANT_DUPLICATES, GRANT_PARAMETERS } from './mint/grant.js';
import {
  AUTH0_ROUTES, resolveOptions, TOKEN_EXCHANGE_GRANT, type RegistrationPolicy, type ResolvedOptions, type SessionTransferOptions,
} from './options.js';
import { captureHooks, type ProviderHooks } from './provider-hooks.js';
import { redeemConfiguration } from './redeem/configuration.js';
import { confirmationIn } from './redeem/request-state.js';
import { stepUpIn, type StepUpInteraction, type TransferStepUp } from './redeem/step-up.js';
import { cascadingAdapter } from './revocation/adapter-hook.js';
import { createCascade, type Cascade } from './revocation/cascade.js';
import { revokeGrant } from './revocation/revoke-grant.js';
import { webLogout } from './revocation/web-logout.js';
import { refreshedIdTokenWithoutNonce } from './refreshed-id-token.js';
import { createRedeem } from './redeem/redeem.js';
import { nativeSsoConfiguration } from './native-sso/configuration.js';
import { deviceSecretRevocation } from './native-sso/device-logout.js';
import { SHA256_ALGS } from './native-sso/device-secret.js';
import { exchangeAudiences } from './native-sso/exchange.js';
import { deviceSecretResponse, withDeviceClaims } from './native-sso/issuance.js';
import { RedisStore } from './store/redis-store.js';
import { storageGuarantees, type StorageGuarantees } from './store/guarantees.js';
import { deviceLineage, type DeviceSessionStore, type TransferStore } from './store/store.js';
import { createTelemetry } from './telemetry/create.js';
import type { Instrumentation } from './telemetry/telemetry.js';

type ExtraClientMetadata = NonNullable<Configuration['extraClientMetadata']>;

/**
 * A transfer waiting for the user's confirmation (`confirm_query_transfers`).
 * @category Setup
 */
export interface TransferConfirmation {
  /** The account the browser would be signed in as: show the user who that is. */
  accountId: string;
  /** The web client the transfer is for, and the native one that minted the token. */
  clientId: string;
  issuingClientId: string;
}
/**
 * What `attach()` needs of an Express application.
 * @category Setup
 */
export type ExpressLike = { set(setting: string, value: unknown): unknown; get?(setting: string): unknown };

/**
 * Validates `session_transfer` and `token_exchange` (naming the client and field), stores the
 * defaulted settings on the client, and lets clients that hold refresh tokens, or may delegate,
 * use the token-exchange grant, so that the Auth0 form (a `refresh_token` grant) works without
 * registering it and so that a client without `can_create_session_transfer_token` is told
 * `unauthorized_client`.
 */
function resolveClientMetadata(metadata: ClientMetadata, nativeSso: boolean): ClientSessionTransfer & { delegating: boolean } {
  const clientId = String(metadata.client_id);
  const settings = resolveClientSettings(clientId, metadata[METADATA_KEY]);
  if (settings.native_sso) requireNativeSso(clientId, metadata, nativeSso);
  metadata[METADATA_KEY] = settings;
  metadata[FIRST_PARTY_KEY] = resolveFirstParty(clientId, metadata[FIRST_PARTY_KEY], metadata.application_type);
  metadata[IP_HEADER_TRUSTED_KEY] = resolveIpHeaderTrusted(clientId, metadata[IP_HEADER_TRUSTED_KEY], metadata.token_endpoint_auth_method);
  const delegating = resolveTokenExchange(clientId, metadata[TOKEN_EXCHANGE_KEY], metadata.token_endpoint_auth_method);
  // A delegating client's ID tokens name the agent's sign-in (auth_time): the actor's grant is found by it.
  if (delegating) metadata.require_auth_time = true;
  const grantTypes = metadata.grant_types ?? ['authorization_code'];
  if ((grantTypes.includes('refresh_token') || delegating || settings.native_sso) && !grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    metadata.grant_types = [...grantTypes, TOKEN_EXCHANGE_GRANT];
  }
  return { ...settings, delegating };
}

/**
 * A Native SSO app needs the feature on, and ID tokens whose `ds_hash` is the SHA-256 one apps
 * check (Okta's SDKs: RS256 only) with the device session's user as `sub` (no pairwise subjects:
 * apps of a group share one user), signed only: the exchange verifies another app's ID token.
 */
function requireNativeSso(clientId: string, metadata: ClientMetadata, nativeSso: boolean): void {
  const path = `${METADATA_KEY}.native_sso`;
  if (!nativeSso) throw new ClientMetadataError(clientId, path, 'needs options.nativeSso (Native SSO is off)');
  const alg = metadata.id_token_signed_response_alg ?? 'RS256';
  if (!SHA256_ALGS.includes(alg)) {
    throw new ClientMetadataError(clientId, path, `needs id_token_signed_response_alg ${SHA256_ALGS.join(', ')} (ds_hash is a SHA-256 hash), not ${alg}`);
  }
  if (metadata.subject_type === 'pairwise') throw new ClientMetadataError(clientId, path, 'cannot be set on a client with pairwise subjects: the apps of a device session share one user');
  if (metadata.id_token_encrypted_response_alg !== undefined) {
    throw new ClientMetadataError(clientId, path, 'cannot be set on a client with encrypted ID tokens: another app presents them to this provider, which checks their signature and ds_hash');
  }
}

/**
 * A client that may mint needs a refresh token to mint from (oidc-provider's default grant_types
 * has none), unless it mints only for other users (delegation).
 */
function requireMintGrant(metadata: ClientMetadata, settings: ClientSessionTransfer & { delegating: boolean }): void {
  const grantTypes = metadata.grant_types ?? ['authorization_code'];
  if (settings.can_create_session_transfer_token && !settings.delegating && !settings.native_sso
    && !grantTypes.includes('refresh_token') && !grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    throw new ClientMetadataError(String(metadata.client_id), `${METADATA_KEY}.can_create_session_transfer_token`,
      'needs the refresh_token grant: the app mints from its refresh token, so add "refresh_token" to grant_types');
  }
}

/** Lower case, letters and digits only: how a misspelt property name is matched with the real one. */
const squashed = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const LIBRARY_KEYS = new Map([METADATA_KEY, FIRST_PARTY_KEY, IP_HEADER_TRUSTED_KEY, TOKEN_EXCHANGE_KEY].map((key) => [squashed(key), key]));

/**
 * A static client property that looks like one of the library's but is not (`session_transfers`,
 * `sessionTransfer`, `is_first_party_app`): oidc-provider would drop it without a word, leaving
 * the client with the defaults.
 */
function rejectMisspeltKeys(client: ClientMetadata): void {
  for (const key of Object.keys(client)) {
    if ([...LIBRARY_KEYS.values()].includes(key)) continue;
    const name = squashed(key);
    const meant = LIBRARY_KEYS.get(name) ?? LIBRARY_KEYS.get(name.replace(/s$/, ''))
      ?? (name.startsWith('sessiontransfer') ? METADATA_KEY : undefined);
    if (meant) throw new ClientMetadataError(String(client.client_id), key, `is not a client property the library reads: did you mean ${meant}?`);
  }
}

/** The host's routes with Auth0's paths; a route the host set to another path is a conflict. */
function auth0Routes(routes: Configuration['routes']): NonNullable<Configuration['routes']> {
  for (const [name, path] of Object.entries(AUTH0_ROUTES)) {
    const own = (routes as Record<string, string> | undefined)?.[name];
    if (own !== undefined && own !== path) {
      throw new OptionsError('auth0Compatible', `serves ${name} at ${path}, but the provider configuration sets routes.${name} to ${own}`);
    }
  }
  return { ...routes, ...AUTH0_ROUTES };
}

/** One line on what the static clients may do, for `DEBUG=oidc-session-transfer`. */
function clientSummary(clients: { clientId: string; settings: ClientSessionTransfer }[]): string {
  const minting = clients.filter(({ settings }) => settings.can_create_session_transfer_token).map(({ clientId }) => clientId);
  const accepting = clients.filter(({ settings }) => settings.allowed_authentication_methods.length).map(({ clientId, settings }) =>
    `${clientId} (${settings.allowed_authentication_methods.join('+')}, ${settings.enforce_device_binding} binding)`);
  return `static clients that may mint: ${minting.join(', ') || 'none'}; that accept tokens: ${accepting.join(', ') || 'none'}`;
}

const NOT_ATTACHED = 'the provider was built, or loaded a client, before transfer.attach(provider, { app }) was called: '
  + 'call attach() right after new Provider(), before the provider serves requests or loads clients';
/** How long after new Provider() an unattached provider is reported. */
const ATTACH_GRACE_MS = 1000;

/** An http(s) URL as a URL parser reads it (a scheme in any letter case, as oidc-provider accepts a client id URL). */
function isWebUrl(value: string): boolean {
  const protocol = URL.parse(value)?.protocol;
  return protocol === 'https:' || protocol === 'http:';
}

/** oidc-provider's routes where a client writes its own metadata (RFC 7591, RFC 7592). */
const SELF_REGISTRATION = new Set(['registration', 'client_update']);

/**
 * The library's client metadata. oidc-provider validates a client when it first loads it, during a
 * request: a provider that serves requests without `attach()` (its mint grant unregistered) is
 * told so there, instead of failing on `grant_types`. A client that publishes its own metadata
 * (registration, update, a URL client id) cannot give itself trust unless `registrationPolicy` says so.
 */
function withClientMetadata(
  extra: ExtraClientMetadata | undefined,
  requireAttached: () => void,
  registrationPolicy: RegistrationPolicy | undefined,
  staticClientIds: ReadonlySet<string>,
  nativeSso: boolean,
): ExtraClientMetadata {
  const properties = [...new Set([...(extra?.properties ?? []), METADATA_KEY, FIRST_PARTY_KEY, IP_HEADER_TRUSTED_KEY, TOKEN_EXCHANGE_KEY])];
  return {
    ...extra,
    properties,
    validator(ctx, key, value, metadata) {
      // Validated together with METADATA_KEY.
      if (key === FIRST_PARTY_KEY || key === IP_HEADER_TRUSTED_KEY || key === TOKEN_EXCHANGE_KEY) return undefined;
      if (key !== METADATA_KEY) return extra?.validator?.(ctx, key, value, metadata);
      requireAttached();
      try {
        const settings = resolveClientMetadata(metadata, nativeSso);
        // Self-published too: a client whose id is the URL of its own metadata document.
        const clientId = String(metadata.client_id);
        const selfPublished = (ctx && SELF_REGISTRATION.has(ctx.oidc.route)) || (!staticClientIds.has(clientId) && isWebUrl(clientId));
        if (selfPublished) {
          // Trust is the operator's to give, as in Auth0 (only its Management API sets these).
          const granted = trustGranted(settings, metadata[FIRST_PARTY_KEY] === true, metadata[IP_HEADER_TRUSTED_KEY] === true, settings.delegating);
          if (granted && (!ctx || registrationPolicy?.(ctx, metadata) !== true)) {
            throw new ClientMetadataError(clientId, granted,
              'is the operator\'s to set: a client cannot register it (options.registrationPolicy decides otherwise)');
          }
        }
        requireMintGrant(metadata, settings);
      } catch (err) {
        if (err instanceof ClientMetadataError) throw new errors.InvalidClientMetadata(err.message);
        throw err;
      }
      return undefined;
    },
  };
}

/**
 * Native-to-Web SSO for one oidc-provider instance. Create it with `sessionTransfer(options)`,
 * pass the provider configuration through `configure()`, then `attach()` the provider.
 * @category Setup
 */
export class SessionTransfer extends SessionTransferEmitter {
  readonly options: ResolvedOptions;
  readonly store: TransferStore;
  #hooks: ProviderHooks | undefined;
  #provider: Provider | undefined;
  #clientSummary = '';
  /** Static clients that accept tokens: as a mint's `audience`, a near miss. */
  #acceptingClientIds: readonly string[] = [];
  /** A provider was built from `configure()`'s result. */
  #built = false;
  #attachTimer: NodeJS.Timeout | undefined;
  #adapterCascades = false;
  /** Grants the library revokes itself (`revokeGrant()`, a web logout), with the trigger their cascade reports. */
  readonly #revocationTriggers = new Map<string, CascadeTrigger>();
  readonly #cascade: Cascade;
  readonly #telemetry: Instrumentation;
  /** `store`, measured when telemetry is on: what the library itself calls. */
  readonly #store: TransferStore;
  /** Device sessions being ended by this process (a device session's first app ends it, and is ended by it). */
  readonly #endingDevices = new Set<string>();

  constructor(options: SessionTransferOptions) {
    super();
    this.options = resolveOptions(options);
    this.store = this.options.store ?? new RedisStore({
      client: this.options.redis!,
      prefix: this.options.keyPrefix,
      commandTimeout: this.options.commandTimeout,
      replicaAcks: this.options.replicaAcks,
    });
    this.#telemetry = createTelemetry(this.options.telemetry, this, this.store, this.store instanceof RedisStore ? 'redis' : undefined);
    this.#store = this.#telemetry.store;
    this.#cascade = createCascade({
      store: this.#store, events: this, telemetry: this.#telemetry, clock: this.options.clock, ttl: this.options.ttl,
    });
  }

  /**
   * Returns a copy of an oidc-provider configuration with the library added: its client metadata,
   * the `session_transfer_token` authorization parameter, a check in the login prompt of the
   * interaction policy, and wrappers of `loadExistingGrant`, `issueRefreshToken`,
   * `expiresWithSession` and `ttl.Session` that keep the host's own behaviour for everything not
   * born from a transfer. Static clients' settings are validated here, so a wrong one stops
   * start-up with a `ClientMetadataError` naming the client and the field.
   */
  configure(host: Configuration = {}): Configuration {
    const routed = this.options.auth0Compatible ? { ...host, routes: auth0Routes(host.routes) } : host;
    const configuration = this.options.nativeSso ? { ...routed, ...nativeSsoConfiguration(routed) } : routed;
    // Validated on copies here, to fail at start-up; oidc-provider resolves them when it loads.
    const staticClients = (configuration.clients ?? []).map((client) => {
      rejectMisspeltKeys(client);
      const resolved = { ...client };
      const settings = resolveClientMetadata(resolved, this.options.nativeSso !== undefined);
      requireMintGrant(resolved, settings);
      return { clientId: String(client.client_id), settings };
    });
    this.#clientSummary = clientSummary(staticClients);
    const hooks = captureHooks(configuration);
    // The mint's reuse detection decides through the same policy as oidc-provider's refresh grant.
    const revokeGrantPolicy: ProviderHooks['revokeGrantPolicy'] = async (ctx) => {
      const revokes = await hooks.revokeGrantPolicy(ctx);
      const refreshToken = ctx.oidc.entities.RefreshToken as RefreshToken | undefined;
      // The revocation endpoint, or reuse detection at a refresh (oidc-provider's grant or the mint).
      const revoking = ctx.oidc.route === 'revocation' || ctx.oidc.route === 'token';
      // A native refresh token revoked while its grant is kept: the cascade makes its outstanding
      // transfer tokens void and ends what they spawned, as if the grant had ended.
      if (!revokes && revoking && refreshToken?.grantId) await this.#cascadeFrom(refreshToken.grantId, { grantKept: true });
      return revokes;
    };
    this.#hooks = { ...hooks, revokeGrantPolicy };
    this.#adapterCascades = configuration.adapter !== undefined;
    this.#acceptingClientIds = staticClients.filter(({ settings }) => settings.allowed_authentication_methods.length).map(({ clientId }) => clientId);
    const redeem = createRedeem({ hooks, options: this.options, store: this.#store, events: this, telemetry: this.#telemetry });
    const extraClientMetadata = withClientMetadata(
      configuration.extraClientMetadata,
      () => this.#requireAttached(),
      this.options.registrationPolicy,
      new Set(staticClients.map(({ clientId }) => clientId)),
      this.options.nativeSso !== undefined,
    );
    const redeeming = redeemConfiguration(configuration, hooks, this.#store, redeem, this.options);
    const configured: Configuration = {
      ...configuration,
      ...redeeming,
      revokeGrantPolicy,
      ...(this.options.nativeSso ? {
        // Around the redeem's: a transferred session's ID tokens keep its claims too.
        findAccount: withDeviceClaims(redeeming.findAccount ?? hooks.findAccount, {
          store: this.#deviceStore, events: this, lifetime: this.options.nativeSso.lifetime, maxApps: this.options.nativeSso.maxApps, clock: this.options.clock,
        }),
      } : {}),
      ...(configuration.adapter
        ? { adapter: cascadingAdapter(configuration.adapter, (grantId) => this.#cascadeFrom(grantId)) }
        : {}),
    };
    // new Provider() reads every property of its configuration once: this one tells that a provider
    // is being built from this result, so attach() can refuse a provider built from anything else,
    // and a provider left unattached is reported even if no request ever reaches the library's code.
    Object.defineProperty(configured, 'extraClientMetadata', {
      enumerable: true,
      configurable: true,
      get: () => {
        this.#providerBuilt();
        return extraClientMetadata;
      },
    });
    return configured;
  }

  #providerBuilt(): void {
    if (this.#built) return;
    this.#built = true;
    // Not every request loads a client (an Auth0-form JSON mint is refused by oidc-provider's body
    // parser first), so a provider that is never attached is also reported on a timer.
    this.#attachTimer = setTimeout(() => this.warnOnce('not_attached', NOT_ATTACHED), ATTACH_GRACE_MS).unref();
  }

  /**
   * Plugs the library into a provider built from `configure()`'s result: registers the mint
   * grant, the Auth0 request translation, and the trusted-proxy setting. With `trustProxy` set and
   * given the Express app, it sets the app's `trust proxy` to the same rule, so `req.ip` agrees
   * with the library; without `trustProxy` it leaves the app alone and warns if the app or the
   * provider trusts proxies. Call it before the provider serves its first request.
   */
  attach(provider: Provider, { app }: { app?: ExpressLike } = {}): this {
    if (!this.#hooks) throw new UsageError('attach()', 'pass the provider configuration through configure() first');
    if (this.#provider) throw new UsageError('attach()', 'this instance is attached to a provider already');
    if (!this.#built) {
      throw new UsageError('attach()', 'the provider was not built from what configure() returned: '
        + 'pass its result to the provider, new Provider(issuer, transfer.configure(configuration)), not the configuration itself');
    }
    const issuer = new URL(provider.issuer);
    const transferAudiences = new Set(this.options.audience(issuer));

    provider.registerGrantType(
      TOKEN_EXCHANGE_GRANT,
      createMintHandler({
        provider,
        hooks: this.#hooks,
        options: this.options,
        telemetry: this.#telemetry,
        events: this,
        transferAudiences,
        ...(this.options.nativeSso ? { deviceSessions: this.#deviceStore, exchangeAudiences: exchangeAudiences(provider.issuer, this.options.nativeSso.audiences) } : {}),
      }),
      GRANT_PARAMETERS,
      GRANT_DUPLICATES,
    );
    const { tokenPath, revocationPath, endSessionPath } = this.#hooks;
    const auth0 = this.options.auth0Compatible;
    provider.use(auth0RequestTranslator({
      tokenPath,
      jsonPaths: new Set(auth0 ? [tokenPath, revocationPath] : []),
      endSessionPath: auth0 ? endSessionPath : undefined,
      audiences: transferAudiences,
      nearMisses: new Set([issuer.href, issuer.href.replace(/\/$/, ''), issuer.host, ...this.#acceptingClientIds]),
      onNearMiss: (ctx, audience, clientId) => this.#reportNearMiss(ctx as KoaContextWithOIDC, audience, clientId, transferAudiences),
      tokenType: this.options.tokenType,
    }));
    const trust = this.options.trustProxy;
    if (trust) {
      // oidc-provider then derives https and the host from the proxy's headers; the library
      // computes the client IP itself, from the same rule.
      provider.proxy = true;
      provider.maxIpsCount = trust.hops ?? 0;
      provider.use(forwardedHeadersGuard(trust));
      app?.set('trust proxy', (address: string, hop: number) => trust.trusts(normalizeIp(address), hop));
    } else if (provider.proxy || app?.get?.('trust proxy')) {
      this.warnOnce('trust_proxy_mismatch', `${provider.proxy ? 'provider.proxy is true' : 'the Express app\'s "trust proxy" is set'}, `
        + 'but options.trustProxy is false: device binding compares the socket address, not the client address the proxy reports. '
        + 'Set trustProxy to the proxies you run (e.g. trustProxy: 1); attach() then aligns both.');
    }
    if (this.options.delegation) reportDelegatedCodeExchanges(provider, this);
    provider.use(webLogout(this.#store, (parent) => this.#logoutNative(provider, parent)));
    provider.use(refreshedIdTokenWithoutNonce(provider, this.#hooks));
    if (this.options.nativeSso) {
      provider.use(deviceSecretResponse());
      provider.use(deviceSecretRevocation(this.#deviceStore, (id) => this.#endDeviceSession(provider, id)));
    }
    if (!this.#adapterCascades) {
      // oidc-provider's in-memory adapter cannot be wrapped: follow its revocation events instead.
      provider.on('grant.revoked', (_ctx: unknown, grantId: string) => void this.#cascadeFrom(grantId));
    }
    this.#provider = provider;
    clearTimeout(this.#attachTimer);
    const summary = `oidc-session-transfer: attached to ${provider.issuer}; ${this.#clientSummary}. `
      + 'Refused and ignored tokens are events (transfer.on("rejected" | "ignored")) and DEBUG=oidc-session-transfer lines.';
    debug(summary);
    this.options.startupSummary?.(summary);
    return this;
  }

  /** A `refresh_token` grant whose audience looked meant to mint ran as a refresh: an `ignored` event naming the audience to send. */
  #reportNearMiss(ctx: KoaContextWithOIDC, audience: string, clientId: string | undefined, transferAudiences: ReadonlySet<string>): void {
    const [sent, client] = [audience.slice(0, 100), clientId?.slice(0, 100)];
    this.reportIgnored({
      type: 'ignored', reason: 'audience_near_miss', ...(client === undefined ? {} : { clientId: client }), audience: sent,
      ip: clientIp(ctx, this.options.trustProxy, this), userAgent: userAgentOf(ctx),
      message: `a refresh_token grant${client === undefined ? '' : ` of client ${JSON.stringify(client)}`} has audience ${JSON.stringify(sent)}, `
        + 'which is not a session transfer audience of this provider, so it ran as an ordinary refresh (the refresh token rotated, an access '
        + `token issued): to mint, send audience ${[...transferAudiences].join(' or ')}`,
    });
  }

  #requireAttached(): void {
    if (this.#provider) return;
    this.warnOnce('not_attached', NOT_ATTACHED);
    throw new errors.InvalidClientMetadata(NOT_ATTACHED);
  }

  /**
   * What a Redis failover can undo of the library's writes with the settings and topology in
   * force now (`replicaAcks`; on Redis it asks the master(s)): for a start-up log or a health page.
   * Rejects with `StoreUnavailableError` while Redis is unavailable.
   */
  guarantees(): Promise<StorageGuarantees> {
    return storageGuarantees(this.store);
  }

  /**
   * Revokes a grant (a native app's, say) with every code and token issued under it, and, with
   * `enforce_cascade_revocation`, every web session and grant created from its transfer tokens.
   * Resolves when done; a failing cascade is reported (`cascade_failed`) and retried.
   */
  async revokeGrant(grantId: string): Promise<void> {
    await this.#revoke(this.#attached('revokeGrant()'), grantId, 'api');
  }

  /** Revokes a grant with its cascade, which reports `trigger`. */
  async #revoke(provider: Provider, grantId: string, trigger: CascadeTrigger): Promise<void> {
    this.#revocationTriggers.set(grantId, trigger);
    try {
      // With a wrapped adapter, destroying the grant runs the cascade; otherwise it runs here.
      await revokeGrant(provider, undefined, grantId);
      if (!this.#adapterCascades) await this.#cascadeFrom(grantId);
    } finally {
      this.#revocationTriggers.delete(grantId);
    }
  }

  /**
   * Ends a device session (Native SSO; its id is the `sid` of its apps' ID tokens): its device
   * secrets are refused from now on, and every app signed in under it is signed out — their
   * grants revoked with their tokens, and the web sessions created from their transfer tokens (or
   * from the device secret) ended, as a cascade (`cascade_revoked`, trigger `device_logout`).
   * Revoking the device secret at the revocation endpoint does the same. Resolves when done.
   */
  async endDeviceSession(id: string): Promise<void> {
    const provider = this.#attached('endDeviceSession()');
    if (!this.options.nativeSso) throw new UsageError('endDeviceSession()', 'Native SSO is off (options.nativeSso)');
    await this.#endDeviceSession(provider, id);
  }

  get #deviceStore(): TransferStore & DeviceSessionStore {
    return this.#store as TransferStore & DeviceSessionStore;
  }

  async #endDeviceSession(provider: Provider, id: string): Promise<void> {
    if (this.#endingDevices.has(id)) return;
    this.#endingDevices.add(id);
    try {
      // The secrets first: no app joins while the apps are signed out.
      await this.#deviceStore.deleteDeviceSession(id);
      await this.#cascade.cascade(provider, deviceLineage(id), { trigger: 'device_logout' });
    } finally {
      this.#endingDevices.delete(id);
    }
  }

  /**
   * Signs out the native side of a transfer after a web logout (`logout_native`): the device
   * session the parent grant belongs to (or is, for a token minted from a device secret), or else
   * the parent grant itself, each with its cascade.
   */
  async #logoutNative(provider: Provider, parent: string): Promise<void> {
    const device = parent.startsWith(deviceLineage('')) ? parent.slice(deviceLineage('').length)
      : this.options.nativeSso ? await this.#deviceStore.deviceSessionOfGrant(parent) : undefined;
    if (device !== undefined) await this.#endDeviceSession(provider, device);
    else await this.#revoke(provider, parent, 'logout');
  }

  /**
   * The device session a grant started, if any: it is the session behind that sign-in (Native
   * SSO §4.3), so it ends when the grant does.
   */
  async #endHeadedDeviceSession(provider: Provider, grantId: string): Promise<void> {
    const id = await this.#deviceStore.deviceSessionOfGrant(grantId);
    if (id === undefined || this.#endingDevices.has(id)) return;
    const found = await this.#deviceStore.deviceSession(id, '');
    if (found?.session.grantId === grantId) await this.#endDeviceSession(provider, id);
  }

  /**
   * The transfer an interaction asks the user to confirm (a web client with
   * `confirm_query_transfers`): who would be signed in, for which client. Undefined when the
   * interaction is not one. Pass what `provider.interactionDetails()` returned.
   */
  pendingConfirmation(interaction: { prompt: { details?: Record<string, unknown> } }): TransferConfirmation | undefined {
    const pending = confirmationIn(interaction.prompt.details);
    return pending && { accountId: pending.login.accountId, clientId: pending.clientId, issuingClientId: pending.session.clientId };
  }

  /**
   * The step-up a login prompt asks of a session that came from a transfer (`max_age`, an
   * essential `acr`): the account, the only one that may sign in, and the reasons. Undefined when
   * the interaction is not one. Pass what `provider.interactionDetails()` returned.
   */
  pendingStepUp(interaction: StepUpInteraction): TransferStepUp | undefined {
    return stepUpIn(interaction);
  }

  /**
   * The user confirmed the transfer: signs the browser in as its account and resumes the
   * authorization request. Call it from a POST route: oidc-provider's interaction cookie
   * (SameSite=Lax) then keeps another site from confirming for the user. To decline, show the
   * ordinary login form instead — the interaction is a login prompt.
   */
  async confirmTransfer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const provider = this.#attached('confirmTransfer()');
    const pending = confirmationIn((await provider.interactionDetails(req, res)).prompt.details);
    if (!pending) throw new UsageError('confirmTransfer()', 'this interaction is not a session transfer confirmation');
    await provider.interactionFinished(req, res, { login: pending.login }, { mergeWithLastSubmission: false });
  }

  /**
   * Resolves once the background work of the cascades that ended so far is done: deleting the
   * ended sessions and their grants' codes and tokens from the provider's storage. Await it at
   * shutdown, before closing the Redis client.
   */
  settled(): Promise<void> {
    return this.#cascade.settled();
  }

  #attached(method: string): Provider {
    if (!this.#provider) throw new UsageError(method, 'call attach(provider) first');
    return this.#provider;
  }

  async #cascadeFrom(grantId: string, { grantKept = false } = {}): Promise<void> {
    if (this.#provider) {
      const trigger = this.#revocationTriggers.get(grantId);
      const ran = await this.#cascade.cascade(this.#provider, grantId, { ...(trigger ? { trigger } : {}), grantKept });
      // A grant ended as a cascade's child (a web grant, a device session's app) starts no device session's end.
      if (ran && this.options.nativeSso && !grantKept) await this.#endHeadedDeviceSession(this.#provider, grantId);
    }
  }
}

/**
 * Creates the library for one provider; see `SessionTransferOptions` for every option.
 * @category Setup
 */
export function sessionTransfer(options: SessionTransferOptions): SessionTransfer {
  return new SessionTransfer(options);
}

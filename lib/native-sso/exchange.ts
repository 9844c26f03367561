import { errors, type Provider, type TokenEndpointGrantContext } from 'oidc-provider';

import { clientIp, userAgentOf } from '../binding/client-ip.js';
import { clientSettings } from '../client-metadata.js';
import type { NativeSsoRefusal, RequestContext, SessionTransferEmitter } from '../events.js';
import { issueIdToken, type IdTokenSource } from '../mint/id-token.js';
import { invalidRequest, reasonOf, refuse, storeRefusal } from '../mint/refusal.js';
import { ID_TOKEN_TYPE, type ResolvedOptions } from '../options.js';
import type { ProviderHooks } from '../provider-hooks.js';
import { deviceLineage, type AddChildResult, type DeviceSessionStore, type TransferStore } from '../store/store.js';
import { deviceSessionEnded, verifyDeviceCredentials, type DeviceCredentials } from './device-credentials.js';
import { DEVICE_SSO_SCOPE, NATIVE_SSO_GTY } from './device-secret.js';
import { setDeviceClaims } from './issuance.js';

/** `issued_token_type` of the exchange's answer (§4.4). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ExchangeParams {
  audience?: string | string[];
  scope?: string;
  subject_token?: string;
  subject_token_type?: string;
  actor_token?: string;
  requested_token_type?: string;
}

export interface ExchangeDependencies {
  provider: Provider;
  hooks: ProviderHooks;
  options: ResolvedOptions & { nativeSso: NonNullable<ResolvedOptions['nativeSso']> };
  events: SessionTransferEmitter;
  store: TransferStore & DeviceSessionStore;
}

/** The `audience` values an exchange may name: the issuer (§4.1), as written with or without its trailing slash or as its origin, and `nativeSso.audiences`. */
export function exchangeAudiences(issuer: string, extra: readonly string[]): ReadonlySet<string> {
  return new Set([issuer, issuer.replace(/\/$/, ''), new URL(issuer).origin, ...extra]);
}

/** The parameters §4.1 requires, present and of the right types. */
function checkRequest(params: ExchangeParams, audiences: ReadonlySet<string>): { idToken: string; deviceSecret: string } {
  if (params.subject_token_type !== ID_TOKEN_TYPE) throw invalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
  if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
    throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}, or a session transfer token's type`);
  }
  if (!params.subject_token) throw invalidRequest('missing required parameter subject_token');
  if (!params.actor_token) throw invalidRequest('missing required parameter actor_token');
  const audience = params.audience === undefined ? [] : [params.audience].flat();
  if (audience.length === 0) throw invalidRequest('missing required parameter audience (the issuer)');
  const foreign = audience.find((value) => !audiences.has(value));
  if (foreign !== undefined) {
    throw refuse('invalid_request', new errors.InvalidTarget(`audience ${JSON.stringify(foreign.slice(0, 100))} is not this provider's issuer (nativeSso.audiences)`));
  }
  return { idToken: params.subject_token, deviceSecret: params.actor_token };
}

/**
 * The scope the new app gets: what it asks for (with `openid`), or by default what the device
 * session's sign-in was granted; never more than that sign-in (§4.3: more would need the user's
 * consent, `interaction_required`). `offline_access` is the app's own: whether it gets a refresh
 * token is the host's `issueRefreshToken`'s to say, as at any sign-in.
 */
function scopeOf(requested: string | undefined, credentials: DeviceCredentials, deps: ExchangeDependencies): string[] {
  const granted = new Set(credentials.session.scope.split(' '));
  const known = new Set([...deps.hooks.oidcScopes, 'offline_access', DEVICE_SSO_SCOPE]);
  if (requested === undefined) return [...granted].filter((scope) => known.has(scope));
  const scopes = [...new Set(requested.split(' ').filter(Boolean))];
  if (!scopes.includes('openid')) throw invalidRequest('scope must include openid');
  const unknown = scopes.find((scope) => !known.has(scope));
  if (unknown !== undefined) throw refuse('invalid_request', new errors.InvalidScope('requested scope is not allowed', unknown));
  const more = scopes.filter((scope) => !granted.has(scope) && scope !== 'offline_access');
  if (more.length) {
    throw refuse('interaction_required', new errors.InteractionRequired(`scope ${more.join(' ')} was not granted at the device session's sign-in: sign in with the browser`));
  }
  return scopes;
}

/**
 * The Native SSO token exchange (§4): an app of the device session's group signs in with no
 * browser. The checks read only; then a grant of the app's own joins the device session's
 * lineage (refused when the device session ended meanwhile, atomically with a device logout),
 * and its access, refresh and ID tokens are issued with the device session's `sid`. The refresh
 * token ends no later than the device session. A failure after the grant was made destroys it.
 */
export async function nativeSsoExchange(ctx: TokenEndpointGrantContext<ExchangeParams>, deps: ExchangeDependencies, audiences: ReadonlySet<string>): Promise<void> {
  const { provider, hooks, options, events, store } = deps;
  const client = ctx.oidc.client;
  const request: RequestContext = { ip: clientIp(ctx, options.trustProxy, events), userAgent: userAgentOf(ctx) };
  let known: { accountId?: string; deviceSessionId?: string; fromClientId?: string } = {};
  try {
    if (!clientSettings(client).native_sso) {
      throw refuse('client_not_allowed', new errors.UnauthorizedClient('client is not a Native SSO app (session_transfer.native_sso)'));
    }
    const { idToken, deviceSecret } = checkRequest(ctx.oidc.params, audiences);
    const credentials = await verifyDeviceCredentials(provider, store, client, idToken, deviceSecret).catch((err: unknown) => { throw storeRefusal(err, 'Native SSO'); });
    const { id, session } = credentials;
    known = { accountId: session.accountId, deviceSessionId: id, fromClientId: credentials.from.clientId };
    const scopes = scopeOf(ctx.oidc.params.scope, credentials, deps);
    const scope = scopes.join(' ');
    const account = await hooks.findAccount(ctx, session.accountId);
    if (!account) throw refuse('device_session_ended', new errors.InvalidGrant('the device session\'s user is no longer an account'));

    const now = Math.floor(options.clock() / 1000);
    const ttl = session.exp - now;
    if (ttl <= 0) throw deviceSessionEnded();
    // §4.3: the grant ends with the device session (or sooner, by the host's ttl.Grant), and every
    // refresh token of it with the grant (a rotated refresh token gets the full TTL: oidc-provider
    // does not carry `expiresIn` over).
    const grant = new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
    grant.addOIDCScope(scope);
    if (grant.expiration > ttl) Object.assign(grant, { expiresIn: ttl });
    const grantId = await grant.save();
    let added: AddChildResult | undefined;
    try {
      added = await store.addChild(deviceLineage(id), `grant:${grantId}`, ttl, options.nativeSso.maxApps, now);
      if (added === 'full') {
        throw invalidRequest(`the device session holds its most apps already (nativeSso.maxApps, ${options.nativeSso.maxApps})`, 'too_many_apps');
      }
      // A device logout either sees this app among its children, or came first: its mark refused
      // the join ('revoked'), or, the mark lapsed (a slow exchange), the device session is gone,
      // as a read after the join shows.
      const still = added === 'added' ? await store.deviceSession(id, credentials.secretHash) : undefined;
      if (still?.session.iat !== session.iat) throw deviceSessionEnded();
      await store.linkDeviceGrant(grantId, id, ttl);
      const login = { accountId: session.accountId, client, grantId, scope, gty: NATIVE_SSO_GTY, sid: id };
      const accessToken = new provider.AccessToken(login);
      const issuedAccess = await accessToken.save();
      let refreshToken: string | undefined;
      let source: IdTokenSource = {
        scopes: new Set(scopes), scope, acr: session.acr, amr: session.amr, authTime: session.authTime, sid: id, claims: undefined, nonce: undefined,
      };
      if (await hooks.issueRefreshToken(ctx, client, accessToken as unknown as Parameters<ProviderHooks['issueRefreshToken']>[2])) {
        const token = new provider.RefreshToken({
          ...login, acr: session.acr, amr: session.amr, authTime: session.authTime, rotations: 0, expiresWithSession: false,
        });
        // The first one ends then too, so the store lets it go with the grant.
        if (token.expiration > ttl) Object.assign(token, { expiresIn: ttl });
        refreshToken = await token.save();
        source = token;
      }
      const issuedId = await issueIdToken(provider, hooks, ctx, { refreshToken: source, grant, account }, { sid: id, ds_hash: credentials.secretHash });
      setDeviceClaims(ctx, { id, dsHash: credentials.secretHash });
      ctx.body = {
        access_token: issuedAccess,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: accessToken.tokenType,
        expires_in: accessToken.expiration,
        scope,
        ...(issuedId ? { id_token: issuedId } : {}),
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
      };
    } catch (err) {
      // Nothing half-done: the grant of a refused or failed exchange goes (its tokens with it), and
      // its place among the device session's apps.
      await grant.destroy().catch(() => undefined);
      if (added === 'added') await store.removeChildren(deviceLineage(id), [`grant:${grantId}`]).catch(() => undefined);
      throw storeRefusal(err, 'Native SSO');
    }
    events.report('native_sso', { type: 'native_sso', outcome: 'exchanged', clientId: client.clientId, ...known, ...request });
  } catch (err) {
    const reason = reasonOf<NativeSsoRefusal>(err);
    events.report('native_sso', {
      type: 'native_sso', outcome: 'refused', clientId: client.clientId, ...known, ...request, reason,
      error: reason === 'server_error' ? 'server_error' : (err as Error).message,
    });
    throw err;
  }
}

import { interactionPolicy, type Client, type Configuration, type Grant, type KoaContextWithOIDC } from 'oidc-provider';

import { clientSettings, delegates, FIRST_PARTY_KEY } from '../client-metadata.js';
import { linkActorGrant } from '../delegation/actor.js';
import { recordRefreshTokenMetadata } from '../mint/refresh-token-metadata.js';
import { DELEGATION_AMR, TOKEN_PARAM, TRANSFER_AMR, type ResolvedOptions } from '../options.js';
import type { ProviderHooks } from '../provider-hooks.js';
import { debug } from '../debug.js';
import { recordWebGrant } from '../revocation/lineage.js';
import type { TransferStore } from '../store/store.js';
import {
  CONFIRMATION_DETAILS, knownTransferredSession, loginForced, pendingConfirmation, rememberTransferredSession, transferredLogin,
} from './request-state.js';
import { keepTransferMark } from './step-up.js';

type ExtraParamValidator = (ctx: KoaContextWithOIDC, value: string | undefined, client?: Client) => Promise<void>;

/** The redeem's parts oidc-provider calls: the parameter's validator, and the completion of a confirmed transfer. */
export interface RedeemHandlers {
  redeem: ExtraParamValidator;
  completeConfirmation(ctx: KoaContextWithOIDC): Promise<boolean>;
  /** At an interaction's resume: ends a transferred session past its idle lifetime (true then). */
  resumeUpkeep(ctx: KoaContextWithOIDC): Promise<boolean>;
}

/**
 * The reason oidc-provider reports when the library forces the login prompt.
 * @category Setup
 */
export const FORCED_LOGIN_REASON = 'session_transfer_rejected';
/**
 * The login prompt's reason when the user must confirm a transfer (`confirm_query_transfers`).
 * @category Setup
 */
export const CONFIRMATION_REASON = 'session_transfer_confirm';

/** `amr` of a token, code or session tells whether it descends from a transfer, or a delegated one. */
const fromTransfer = (source: object) => Boolean((source as { amr?: string[] }).amr?.includes(TRANSFER_AMR));
const fromDelegation = (source: object) => Boolean((source as { amr?: string[] }).amr?.includes(DELEGATION_AMR));

function extraParams(existing: Configuration['extraParams'], validator: ExtraParamValidator): NonNullable<Configuration['extraParams']> {
  // oidc-provider takes either a list of names or a map of name to validator.
  const map = Array.isArray(existing)
    ? Object.fromEntries(existing.map((name) => [name, null]))
    : { ...(existing as Record<string, unknown> | undefined) };
  return { ...map, [TOKEN_PARAM]: validator } as NonNullable<Configuration['extraParams']>;
}

/**
 * Puts the library's checks first in the login prompt of the host's (or the default) policy: the
 * login forced after a refused token, and the confirmation a web client may require of a
 * query-delivered transfer (its details, under `sessionTransfer`, say who would be signed in).
 */
function policy(existing: interactionPolicy.DefaultPolicy | undefined): interactionPolicy.DefaultPolicy {
  const result = existing ?? interactionPolicy.base();
  const login = result.get('login');
  if (!login) throw new TypeError('interactions.policy must have a "login" prompt for session transfer');
  if (!login.checks.get(FORCED_LOGIN_REASON)) {
    login.checks.add(new interactionPolicy.Check(
      FORCED_LOGIN_REASON,
      'the session transfer token was not accepted',
      'login_required',
      (ctx) => loginForced(ctx),
    ), 0);
  }
  if (!login.checks.get(CONFIRMATION_REASON)) {
    login.checks.add(new interactionPolicy.Check(
      CONFIRMATION_REASON,
      'the session transfer must be confirmed by the user',
      'interaction_required',
      (ctx) => pendingConfirmation(ctx) !== undefined,
      (ctx) => ({ [CONFIRMATION_DETAILS]: pendingConfirmation(ctx) }),
    ), 0);
  }
  return result;
}

/**
 * A first-party web client signed in from a transfer gets the requested scopes recorded as
 * consented, instead of a consent screen (the user consented in the native app) — but only those
 * the token carries: a transfer never delegates more than the native app held. An API's scopes
 * (resource indicators) are consented per API, so only the (resource, scope) pairs the native
 * grant holds pass; its grant is read only when the request names an API (without
 * `nativeGrantId`, none pass). Anything else the web client asks for, and any `claims` request,
 * follows the normal consent path.
 */
async function firstPartyGrant(ctx: KoaContextWithOIDC, existing: Grant | undefined, delegated: Set<string>, nativeGrantId: string | undefined): Promise<Grant> {
  const { oidc } = ctx;
  const grant = existing ?? new oidc.provider.Grant({ accountId: oidc.session!.accountId, clientId: oidc.client!.clientId });
  const scopes = [...oidc.requestParamOIDCScopes].filter((scope) => delegated.has(scope));
  if (scopes.length) grant.addOIDCScope(scopes);
  const servers = nativeGrantId === undefined ? [] : Object.entries(oidc.resourceServers ?? {});
  const native = servers.length ? await oidc.provider.Grant.find(nativeGrantId!) : undefined;
  for (const [indicator, server] of servers) {
    const held = new Set(native?.getResourceScope(indicator).split(' '));
    const resourceScopes = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope) && delegated.has(scope) && held.has(scope));
    if (resourceScopes.length) grant.addResourceScope(indicator, resourceScopes);
  }
  await grant.save();
  return grant;
}

/** The `openid` scope's claims with `amr`, so ID tokens show relying parties a transfer, and with delegation `act`. */
function claims(existing: Configuration['claims'], delegation: boolean): NonNullable<Configuration['claims']> {
  const openid = (existing?.openid as string[] | undefined) ?? ['sub'];
  return { ...existing, openid: [...new Set([...openid, 'amr', ...(delegation ? ['act'] : [])])] };
}

/**
 * The oidc-provider configuration entries the redeem needs, each built on the host's own setting:
 * the token parameter and its validator, the forcing check, `amr` in ID tokens, consent for
 * first-party clients, and the web client's rules for tokens issued in sessions that came from a transfer.
 */
export function redeemConfiguration(
  configuration: Configuration,
  hooks: ProviderHooks,
  store: TransferStore,
  { redeem, completeConfirmation, resumeUpkeep }: RedeemHandlers,
  options: Pick<ResolvedOptions, 'maxLineagePerGrant' | 'delegation' | 'onRedeem' | 'refreshTokenMetadata' | 'redeemHookTimeout'>,
): Configuration {
  /** Whether ID tokens of transferred sessions may carry something of the session's record (`act`, the hook's claims). */
  const sessionClaims = options.delegation !== undefined || options.onRedeem !== undefined;
  /** The record of the transferred session `token` is bound to; undefined when none lives (or the store cannot tell). */
  const sessionOf = (token: { sessionUid?: string }) => (token.sessionUid === undefined ? Promise.resolve(undefined)
    : store.findSession(token.sessionUid).catch((err: unknown) => void debug('checking a session for a token failed: %O', err)));
  return {
    claims: claims(configuration.claims, options.delegation !== undefined),
    extraParams: extraParams(configuration.extraParams, redeem),
    interactions: {
      ...configuration.interactions,
      policy: policy(configuration.interactions?.policy as interactionPolicy.DefaultPolicy | undefined),
    },
    async loadExistingGrant(ctx) {
      if (!await completeConfirmation(ctx)) return undefined;
      // The resume runs no parameter validators: the session's upkeep happens here (after a
      // confirmed transfer recorded the session it signed in, and after a step-up of a transferred
      // session got its marker back, so the upkeep and the rules below still see a transfer).
      if (ctx.oidc.route === 'resume') {
        keepTransferMark(ctx);
        if (await resumeUpkeep(ctx)) return undefined;
      }
      const existing = await hooks.loadExistingGrant(ctx);
      const client = ctx.oidc.client!;
      const firstParty = (client as unknown as Record<string, unknown>)[FIRST_PARTY_KEY] === true && client.applicationType !== 'native';
      const login = transferredLogin(ctx);
      // A delegated session never prompts for consent: it gets what the token carries, and no
      // API's scopes (the actor's grant says nothing of the subject's).
      const delegated = login?.session.actor !== undefined;
      const grant = login && (firstParty || delegated)
        ? await firstPartyGrant(ctx, existing, new Set(login.scope.split(' ')), delegated ? undefined : login.session.grantId)
        : existing;
      if (grant?.jti && fromTransfer(ctx.oidc.session!)) await recordWebGrant(ctx, store, grant, options.maxLineagePerGrant);
      if (grant && options.delegation && delegates(client)) await linkActorGrant(ctx, store, grant);
      return grant;
    },
    // A token that ends with a transferred session ends with its idle lifetime too: oidc-provider
    // checks that the session still exists, not that it is still in use, so its account is
    // looked up only while the session's record lives (read as it is: a token's use is not the
    // session's). A store that cannot answer refuses, as the redeem does.
    // The ID tokens of a transferred session carry what its record holds: the actor of a
    // delegated one (`act`, RFC 8693 §4.1), the redeem hook's claims.
    // At the authorization endpoint (no token: ID tokens of implicit and hybrid responses) the
    // record is the one the redeem or the session's upkeep read in this request.
    async findAccount(ctx, sub, token) {
      const bound = token as { expiresWithSession?: boolean; sessionUid?: string } | undefined;
      const transferred = token !== undefined && fromTransfer(token);
      const record = token === undefined ? knownTransferredSession(ctx)
        : transferred && (bound?.expiresWithSession || sessionClaims) ? await sessionOf(bound!) : undefined;
      if (transferred && bound?.expiresWithSession && bound.sessionUid && !record) return undefined;
      // Kept for this request: the access token's claims (extraTokenClaims) come from the same record.
      if (record && token !== undefined) rememberTransferredSession(ctx, record);
      const account = await hooks.findAccount(ctx, sub, token);
      const extra = { ...record?.claims, ...(record?.actor === undefined ? {} : { act: { sub: record.actor } }) };
      if (!account || !Object.keys(extra).length) return account;
      return { ...account, claims: async (...args) => ({ ...await account.claims(...args), ...extra }) };
    },
    // Access tokens of a delegated session carry `act` too, from the record this request read
    // (findAccount runs first); a code whose account lookup did not read it is read here.
    ...(options.delegation ? {
      async extraTokenClaims(ctx, token) {
        const base = await hooks.extraTokenClaims(ctx, token);
        const code = ctx.oidc.entities.AuthorizationCode as { amr?: string[]; sessionUid?: string } | undefined;
        const record = knownTransferredSession(ctx) ?? (code?.amr?.includes(DELEGATION_AMR) ? await sessionOf(code) : undefined);
        return record?.actor === undefined ? base : { ...base, act: { sub: record.actor } };
      },
    } : {}),
    async issueRefreshToken(ctx, client, source) {
      // A delegated session never gets one: it ends for good at its fixed lifetime.
      if (fromDelegation(source)) return false;
      const allowed = await hooks.issueRefreshToken(ctx, client, source);
      const issues = fromTransfer(source) ? allowed && clientSettings(client).allow_refresh_token : allowed;
      if (issues && options.refreshTokenMetadata) await recordRefreshTokenMetadata(options.refreshTokenMetadata, options.redeemHookTimeout, store, ctx, client, source);
      return issues;
    },
    async expiresWithSession(ctx, source) {
      if (fromDelegation(source) || (fromTransfer(source) && clientSettings(ctx.oidc.client!).enforce_online_refresh_tokens)) return true;
      return hooks.expiresWithSession(ctx, source);
    },
    ttl: {
      ...configuration.ttl,
      // A transferred session never outlives its first expiry (its absolute lifetime), which
      // the redeem hook may have shortened.
      Session(ctx, session) {
        const base = hooks.sessionTtl(ctx, session);
        const login = transferredLogin(ctx);
        if (login) return Math.min(base, login.sessionLifetime ?? base);
        if (fromTransfer(session) && typeof session.exp === 'number') {
          return Math.max(1, Math.min(base, session.exp - Math.floor(Date.now() / 1000)));
        }
        return base;
      },
    },
  };
}

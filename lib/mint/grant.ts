import { errors, type Provider, type TokenEndpointGrantContext } from 'oidc-provider';

import { isIP } from 'node:net';

import { asnOf } from '../binding/asn.js';
import { clientIp, userAgentOf } from '../binding/client-ip.js';
import { normalizeIp } from '../binding/ip.js';
import { clientSettings, IP_HEADER_TRUSTED_KEY } from '../client-metadata.js';
import { delegatedRecord, type DelegationParams } from '../delegation/mint.js';
import { StoreUnavailableError } from '../errors.js';
import type { IssuedEvent, RequestContext, SessionTransferEmitter } from '../events.js';
import { ID_TOKEN_TYPE, REFRESH_TOKEN_TYPE, type ResolvedOptions } from '../options.js';
import type { ProviderHooks } from '../provider-hooks.js';
import { DEVICE_SECRET_TYPES, verifyDeviceCredentials } from '../native-sso/device-credentials.js';
import { nativeSsoExchange } from '../native-sso/exchange.js';
import { deviceLineage, type DeviceSessionStore, type TransferRecord, type TransferStore } from '../store/store.js';
import type { Instrumentation, Operation } from '../telemetry/telemetry.js';
import { generateToken, hashToken } from '../token.js';
import { resolveAudience } from './audience.js';
import { FORM_STATE } from './auth0-request.js';
import { verifyDpopProof, type DpopProof } from './dpop.js';
import { issueIdToken } from './id-token.js';
import { parentRefreshToken } from './refresh-token-metadata.js';
import { loadRefreshToken, rotateRefreshToken } from './refresh-token.js';
import { invalidRequest, reasonOf, refuse, storeRefusal } from './refusal.js';

/** The token-exchange grant's parameters (RFC 8693 §2.1), and Auth0's `organization` (delegation). */
export const GRANT_PARAMETERS = [
  'audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type',
  'actor_token', 'actor_token_type', 'organization',
];
/** Parameters that may repeat. */
export const GRANT_DUPLICATES = ['audience', 'resource'];

interface ExchangeParams extends DelegationParams {
  requested_token_type?: string;
}

export interface MintDependencies {
  provider: Provider;
  hooks: ProviderHooks;
  options: ResolvedOptions;
  events: SessionTransferEmitter;
  /** Also the store the mint uses (`operation.store`). */
  telemetry: Instrumentation;
  /** The audience URNs of the Auth0 form; ignored when they appear in a token-exchange request. */
  transferAudiences: ReadonlySet<string>;
  /** With Native SSO: the store's device sessions (the mint's store, not measured), and the `audience` values an exchange may name. */
  deviceSessions?: TransferStore & DeviceSessionStore;
  exchangeAudiences?: ReadonlySet<string>;
}

/**
 * Which mint a request asks for: from the app's own refresh token, or delegated (Session
 * Delegation: a subject token of one of the host's profiles, with an actor). `requested_token_type`
 * may be left out (RFC 8693 makes it optional; Auth0's SDKs send none for delegation).
 */
function mintKind(params: ExchangeParams, options: ResolvedOptions): 'refresh_token' | 'delegation' | 'device_secret' {
  if (!params.subject_token) throw invalidRequest('missing required parameter subject_token');
  if (params.requested_token_type !== undefined && params.requested_token_type !== options.tokenType) {
    throw invalidRequest(`requested_token_type must be ${options.tokenType}`);
  }
  if (options.nativeSso && DEVICE_SECRET_TYPES.includes(params.actor_token_type!)) return 'device_secret';
  if (params.subject_token_type === REFRESH_TOKEN_TYPE) {
    if (params.actor_token !== undefined) throw invalidRequest('actor_token is not supported with a refresh token subject');
    return 'refresh_token';
  }
  if (options.delegation?.subjectTokenTypes.includes(params.subject_token_type!)) return 'delegation';
  if (params.actor_token !== undefined) {
    const disabled = new errors.CustomOIDCProviderError('session_transfer_disabled',
      `no delegation profile accepts subject_token_type ${JSON.stringify(String(params.subject_token_type).slice(0, 100))} (options.delegation)`);
    Object.assign(disabled, { status: 400, statusCode: 400 });
    throw refuse('delegation_not_allowed', disabled);
  }
  throw invalidRequest(`subject_token_type must be ${REFRESH_TOKEN_TYPE}`);
}

function checkScope(requested: string | undefined, granted: Set<string>): string | undefined {
  if (!requested) return undefined;
  const missing = requested.split(' ').filter((scope) => !granted.has(scope));
  if (missing.length) {
    throw refuse('invalid_scope', new errors.InvalidScope('refresh token missing requested scope', missing.join(' ')));
  }
  return requested;
}

/**
 * The device's IP: the request's, or for a client trusted to mint on a device's behalf (a
 * confidential backend), the address in its forwarded-for header. Other clients' headers are
 * ignored.
 */
function deviceIp(ctx: TokenEndpointGrantContext, options: ResolvedOptions, requestIp: string): string {
  const header = ctx.get(options.forwardedForHeader);
  if (!header || (ctx.oidc.client as unknown as Record<string, unknown>)[IP_HEADER_TRUSTED_KEY] !== true) return requestIp;
  const claimed = normalizeIp(header.split(',')[0]!.trim());
  if (!isIP(claimed)) {
    throw invalidRequest(`${options.forwardedForHeader} must be an IP address`);
  }
  return claimed;
}

/** What a mint stores and answers, and what it runs once the token is stored. */
interface Minted {
  record: TransferRecord;
  idToken?: string;
  /** The refresh token's rotation; its new value when it rotated. */
  finish?: () => Promise<string | undefined>;
}

/**
 * The mint: the token-exchange grant handler. It checks the refresh token as a refresh would,
 * stores the new token's hash before anything is rotated (a store outage then costs the app
 * nothing), rotates per the provider's policy, and answers in RFC 8693's shape.
 */
export function createMintHandler(deps: MintDependencies) {
  const { provider, hooks, options, events, telemetry } = deps;

  /** The request's DPoP proof, checked before anything is looked up, as the refresh grant does. */
  async function proofOf(ctx: TokenEndpointGrantContext<ExchangeParams>): Promise<DpopProof | undefined> {
    try {
      // Real time, as oidc-provider judges proofs and nonces at its other endpoints.
      return await verifyDpopProof(ctx, hooks.dpop, ctx.oidc.urlFor('token'), Math.floor(Date.now() / 1000));
    } catch (err) {
      if (err instanceof errors.UseDpopNonce) throw refuse('dpop_nonce_required', err);
      if (err instanceof errors.InvalidDpopProof) throw refuse('dpop_proof_invalid', err);
      throw err;
    }
  }

  /**
   * A mint from the app's own refresh token, checked as a refresh would check it. Its ID token is
   * issued before anything is stored or rotated (a failure there costs the app nothing); the
   * rotation runs once the token is stored (`finish`).
   */
  async function fromRefreshToken(
    ctx: TokenEndpointGrantContext<ExchangeParams>, operation: Operation, request: RequestContext, iat: number,
    found: (known: { accountId: string; grantId: string }) => void,
  ): Promise<Minted> {
    if (!clientSettings(ctx.oidc.client).can_create_session_transfer_token) {
      throw refuse('client_not_allowed', new errors.UnauthorizedClient('client is not allowed to create session transfer tokens'));
    }
    const dPoP = await proofOf(ctx);
    const loaded = await loadRefreshToken(provider, hooks, ctx, ctx.oidc.params.subject_token!, dPoP);
    const { refreshToken } = loaded;
    found({ accountId: refreshToken.accountId, grantId: refreshToken.grantId! });
    operation.account(refreshToken.accountId);
    const scope = checkScope(ctx.oidc.params.scope, refreshToken.scopes) ?? refreshToken.scope ?? '';
    const audience = await resolveAudience(provider, ctx.oidc.client!, ctx.oidc.params, deps.transferAudiences);
    request.asn = await asnOf(options.asnResolver, request.ip);
    const [idToken, parent] = await Promise.all([
      issueIdToken(provider, hooks, ctx, loaded),
      // Only read when the host sets metadata: the record stays small otherwise.
      options.refreshTokenMetadata ? parentRefreshToken(operation.store, refreshToken) : undefined,
    ]);
    const record: TransferRecord = {
      accountId: refreshToken.accountId,
      clientId: ctx.oidc.client.clientId,
      grantId: refreshToken.grantId!,
      scope,
      authTime: refreshToken.authTime,
      amr: refreshToken.amr,
      acr: refreshToken.acr,
      audience,
      ...request,
      iat,
      exp: iat + options.ttl,
      ...(parent ? { parentRefreshToken: parent } : {}),
    };
    return { record, idToken, finish: () => rotateRefreshToken(provider, hooks, ctx, refreshToken) };
  }

  /**
   * A mint from an ID token and device secret (Native SSO), for an app of the device session's
   * group that may mint but holds no refresh token: checked as the Native SSO exchange checks
   * them. The device session is the token's parent: a device logout voids it and ends the web
   * sessions it created.
   */
  async function fromDeviceSecret(ctx: TokenEndpointGrantContext<ExchangeParams>, operation: Operation, request: RequestContext, iat: number): Promise<Minted> {
    const { client } = ctx.oidc;
    if (!clientSettings(client).can_create_session_transfer_token || !clientSettings(client).native_sso) {
      throw refuse('client_not_allowed', new errors.UnauthorizedClient('client is not allowed to create session transfer tokens from a device secret'));
    }
    if (ctx.oidc.params.subject_token_type !== ID_TOKEN_TYPE) throw invalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
    if (!ctx.oidc.params.actor_token) throw invalidRequest('missing required parameter actor_token');
    const { id, session } = await verifyDeviceCredentials(provider, deps.deviceSessions!, client, ctx.oidc.params.subject_token!, ctx.oidc.params.actor_token)
      .catch((err: unknown) => { throw err instanceof StoreUnavailableError ? err : refuse('device_secret_invalid', err as Error); });
    operation.account(session.accountId);
    const scope = checkScope(ctx.oidc.params.scope, new Set(session.scope.split(' '))) ?? session.scope;
    const audience = await resolveAudience(provider, client, ctx.oidc.params, deps.transferAudiences);
    request.asn = await asnOf(options.asnResolver, request.ip);
    return {
      record: {
        accountId: session.accountId,
        clientId: client.clientId,
        grantId: deviceLineage(id),
        scope,
        authTime: session.authTime,
        amr: session.amr,
        acr: session.acr,
        audience,
        ...request,
        iat,
        exp: iat + options.ttl,
      },
    };
  }

  async function mint(ctx: TokenEndpointGrantContext<ExchangeParams>, operation: Operation): Promise<void> {
    const { store } = operation;
    const request: RequestContext = { ip: clientIp(ctx, options.trustProxy, events), userAgent: userAgentOf(ctx) };
    const clientId = ctx.oidc.client.clientId;
    let known: { accountId: string; grantId: string; actor?: { sub: string } } | undefined;
    // Issued, for the revocation mark's comparison, before its refresh token is found valid: a
    // revocation from then on voids the token (see the cascade's CLOCK_ALLOWANCE).
    const iat = Math.floor(options.clock() / 1000);
    try {
      request.ip = deviceIp(ctx, options, request.ip);
      const kind = mintKind(ctx.oidc.params, options);
      const minted: Minted = await (kind === 'refresh_token'
        ? fromRefreshToken(ctx, operation, request, iat, (found) => { known = found; })
        : kind === 'device_secret'
          ? fromDeviceSecret(ctx, operation, request, iat)
          : delegatedRecord(ctx, { ...deps, delegation: options.delegation!, store }, request, iat).then((record) => ({ record })))
        .catch((err: unknown) => { throw storeRefusal(err, 'session transfer'); });
      const { record } = minted;
      if (record.actor !== undefined) {
        known = { accountId: record.accountId, grantId: record.grantId, actor: { sub: record.actor } };
        operation.account(record.accountId);
      }

      const token = generateToken();
      const tokenHash = hashToken(token);
      let count: number;
      try {
        // Counted and stored at once (one round trip's time); a token past the cap is withdrawn.
        [count] = await Promise.all([store.countIssued(record.grantId, options.ttl), store.save(tokenHash, record, options.ttl)]);
      } catch (err) {
        throw storeRefusal(err, 'session transfer');
      }
      if (count > options.maxTokensPerGrant) {
        await store.consume(tokenHash).catch(() => undefined);
        const tooMany = new errors.CustomOIDCProviderError('too_many_requests', 'too many session transfer tokens for this grant; use the ones issued, or wait for them to expire');
        Object.assign(tooMany, { status: 429, statusCode: 429 });
        throw refuse('too_many_tokens', tooMany);
      }

      let newRefreshToken: string | undefined;
      try {
        newRefreshToken = await minted.finish?.();
      } catch (err) {
        // Nothing half-done: a token whose response never left is withdrawn.
        await store.consume(tokenHash).catch(() => undefined);
        throw err;
      }

      ctx.body = {
        access_token: token,
        issued_token_type: options.tokenType,
        token_type: 'N_A',
        expires_in: options.ttl,
        ...(minted.idToken ? { id_token: minted.idToken } : {}),
        ...(newRefreshToken ? { refresh_token: newRefreshToken } : {}),
      };
      const issued: IssuedEvent = {
        type: 'issued',
        logCode: 'sertft',
        clientId,
        accountId: record.accountId,
        grantId: record.grantId,
        ...request,
        form: kind === 'refresh_token' ? (ctx.state[FORM_STATE] === 'refresh_token' ? 'refresh_token' : 'token_exchange') : kind,
        expiresAt: record.exp,
        ...(record.audience ? { audience: record.audience } : {}),
        ...(record.actor !== undefined ? { actor: { sub: record.actor } } : {}),
      };
      events.report('issued', issued);
    } catch (err) {
      const reason = reasonOf(err);
      operation.fail(reason);
      events.report('issue_failed', {
        type: 'issue_failed',
        logCode: 'fertft',
        reason,
        error: reason === 'server_error' ? 'server_error' : (err as { message: string }).message,
        clientId,
        ...known,
        ...request,
      });
      throw err;
    }
  }

  return (ctx: TokenEndpointGrantContext<ExchangeParams>): Promise<void> => {
    const { actor_token_type: actorType, requested_token_type: requested } = ctx.oidc.params;
    // Native SSO (§4): a device secret as the actor, and tokens for the app rather than a transfer token.
    if (deps.deviceSessions && DEVICE_SECRET_TYPES.includes(actorType!) && requested !== options.tokenType) {
      return nativeSsoExchange(ctx, {
        provider, hooks, events, store: deps.deviceSessions, options: options as Parameters<typeof nativeSsoExchange>[1]['options'],
      }, deps.exchangeAudiences!);
    }
    return telemetry.operation('mint', { 'session_transfer.client.id': ctx.oidc.client.clientId }, (operation) => mint(ctx, operation));
  };
}
import { errors, type Provider, type TokenEndpointGrantContext } from 'oidc-provider';

import { isIP } from 'node:net';

import { asnOf } from '../binding/asn.js';
import { clientIp, userAgentOf } from '../binding/client-ip.js';
import { normalizeIp } from '../binding/ip.js';
import { clientSettings, IP_HEADER_TRUSTED_KEY } from '../client-metadata.js';
import { debug } from '../debug.js';
import { StoreUnavailableError } from '../errors.js';
import type { IssuedEvent, RequestContext, SessionTransferEmitter } from '../events.js';
import { REFRESH_TOKEN_TYPE, type ResolvedOptions } from '../options.js';
import type { ProviderHooks } from '../provider-hooks.js';
import type { TransferRecord } from '../store/store.js';
import type { Instrumentation, Operation } from '../telemetry/telemetry.js';
import { generateToken, hashToken } from '../token.js';
import { FORM_STATE } from './auth0-request.js';
import { verifyDpopProof, type DpopProof } from './dpop.js';
import { issueIdToken } from './id-token.js';
import { loadRefreshToken, rotateRefreshToken } from './refresh-token.js';
import { reasonOf, refuse } from './refusal.js';

/** The token-exchange grant's parameters (RFC 8693 §2.1). */
export const GRANT_PARAMETERS = [
  'audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type',
  'actor_token', 'actor_token_type',
];
/** Parameters that may repeat. */
export const GRANT_DUPLICATES = ['audience', 'resource'];

interface ExchangeParams {
  subject_token?: string;
  subject_token_type?: string;
  requested_token_type?: string;
  actor_token?: string;
  audience?: string | string[];
  resource?: string | string[];
  scope?: string;
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
}

/** Most web clients one token may name: they are stored with it. */
const MAX_AUDIENCE = 10;

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function checkRequest(params: ExchangeParams, tokenType: string): string {
  const invalid = (description: string) => refuse('invalid_request', new errors.InvalidRequest(description));
  if (!params.subject_token) throw invalid('missing required parameter subject_token');
  if (params.subject_token_type !== REFRESH_TOKEN_TYPE) {
    throw invalid(`subject_token_type must be ${REFRESH_TOKEN_TYPE}`);
  }
  if (params.requested_token_type !== tokenType) throw invalid(`requested_token_type must be ${tokenType}`);
  if (params.actor_token !== undefined) throw invalid('actor_token is not supported');
  return params.subject_token;
}

/**
 * The web clients that may redeem, from `audience` and `resource` (each a client id); undefined
 * when none is named. A client that is unknown or accepts no transfer is `invalid_target`.
 */
async function resolveAudience(deps: MintDependencies, params: ExchangeParams): Promise<string[] | undefined> {
  const named = [...list(params.audience), ...list(params.resource)]
    .filter((value) => !deps.transferAudiences.has(value));
  if (named.length === 0) return undefined;
  const audience = [...new Set(named)];
  if (audience.length > MAX_AUDIENCE) {
    throw refuse('invalid_target', new errors.InvalidTarget(`at most ${MAX_AUDIENCE} web clients may be named`));
  }
  for (const clientId of audience) {
    const client = await deps.provider.Client.find(clientId);
    if (!client || clientSettings(client).allowed_authentication_methods.length === 0) {
      throw refuse('invalid_target', new errors.InvalidTarget(`${clientId} is not a client that accepts session transfer tokens`));
    }
  }
  return audience;
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
    throw refuse('invalid_request', new errors.InvalidRequest(`${options.forwardedForHeader} must be an IP address`));
  }
  return claimed;
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

  async function mint(ctx: TokenEndpointGrantContext<ExchangeParams>, operation: Operation): Promise<void> {
    const { store } = operation;
    const request: RequestContext = { ip: clientIp(ctx, options.trustProxy, events), userAgent: userAgentOf(ctx) };
    const clientId = ctx.oidc.client.clientId;
    let found: { accountId: string; grantId: string } | undefined;
    // Issued, for the revocation mark's comparison, before its refresh token is found valid: a
    // revocation from then on voids the token (see the cascade's CLOCK_ALLOWANCE).
    const iat = Math.floor(options.clock() / 1000);
    try {
      request.ip = deviceIp(ctx, options, request.ip);
      const subjectToken = checkRequest(ctx.oidc.params, options.tokenType);
      if (!clientSettings(ctx.oidc.client).can_create_session_transfer_token) {
        throw refuse('client_not_allowed', new errors.UnauthorizedClient('client is not allowed to create session transfer tokens'));
      }
      const dPoP = await proofOf(ctx);
      const loaded = await loadRefreshToken(provider, hooks, ctx, subjectToken, dPoP);
      const { refreshToken } = loaded;
      found = { accountId: refreshToken.accountId, grantId: refreshToken.grantId! };
      operation.account(found.accountId);
      const scope = checkScope(ctx.oidc.params.scope, refreshToken.scopes) ?? refreshToken.scope ?? '';
      const audience = await resolveAudience(deps, ctx.oidc.params);
      request.asn = await asnOf(options.asnResolver, request.ip);

      // Before anything is stored or rotated: a failure here costs the app nothing.
      const idToken = await issueIdToken(provider, hooks, ctx, loaded);
      const token = generateToken();
      const tokenHash = hashToken(token);
      const record: TransferRecord = {
        accountId: refreshToken.accountId,
        clientId,
        grantId: refreshToken.grantId!,
        scope,
        authTime: refreshToken.authTime,
        amr: refreshToken.amr,
        acr: refreshToken.acr,
        audience,
        ...request,
        iat,
        exp: iat + options.ttl,
      };
      let count: number;
      try {
        // Counted and stored at once (one round trip's time); a token past the cap is withdrawn.
        [count] = await Promise.all([store.countIssued(record.grantId, options.ttl), store.save(tokenHash, record, options.ttl)]);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        debug('mint refused, store unavailable: %s', err.message);
        const unavailable = new errors.CustomOIDCProviderError('server_error', 'session transfer is temporarily unavailable');
        Object.assign(unavailable, { status: 503, statusCode: 503 });
        throw refuse('store_unavailable', unavailable);
      }
      if (count > options.maxTokensPerGrant) {
        await store.consume(tokenHash).catch(() => undefined);
        const tooMany = new errors.CustomOIDCProviderError('too_many_requests', 'too many session transfer tokens for this grant; use the ones issued, or wait for them to expire');
        Object.assign(tooMany, { status: 429, statusCode: 429 });
        throw refuse('too_many_tokens', tooMany);
      }

      let newRefreshToken: string | undefined;
      try {
        newRefreshToken = await rotateRefreshToken(provider, hooks, ctx, refreshToken);
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
        ...(idToken ? { id_token: idToken } : {}),
        ...(newRefreshToken ? { refresh_token: newRefreshToken } : {}),
      };
      const issued: IssuedEvent = {
        type: 'issued',
        clientId,
        accountId: record.accountId,
        grantId: record.grantId,
        ...request,
        form: ctx.state[FORM_STATE] === 'refresh_token' ? 'refresh_token' : 'token_exchange',
        expiresAt: record.exp,
        ...(audience ? { audience } : {}),
      };
      events.report('issued', issued);
    } catch (err) {
      const reason = reasonOf(err);
      operation.fail(reason);
      events.report('issue_failed', {
        type: 'issue_failed',
        reason,
        error: reason === 'server_error' ? 'server_error' : (err as { message: string }).message,
        clientId,
        ...found,
        ...request,
      });
      throw err;
    }
  }

  return (ctx: TokenEndpointGrantContext<ExchangeParams>): Promise<void> =>
    telemetry.operation('mint', { 'session_transfer.client.id': ctx.oidc.client.clientId }, (operation) => mint(ctx, operation));
}
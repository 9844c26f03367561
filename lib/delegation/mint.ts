import { errors, type Provider, type TokenEndpointGrantContext } from 'oidc-provider';

import { asnOf } from '../binding/asn.js';
import { clientSettings, delegates } from '../client-metadata.js';
import type { RequestContext } from '../events.js';
import { callWithDeadline } from '../hook-deadline.js';
import { resolveAudience } from '../mint/audience.js';
import { invalidRequest, refuse } from '../mint/refusal.js';
import { ID_TOKEN_TYPE, type ResolvedDelegation, type ResolvedOptions } from '../options.js';
import type { ProviderHooks } from '../provider-hooks.js';
import type { TransferRecord, TransferStore } from '../store/store.js';
import { verifyActor } from './actor.js';

/** The token-exchange parameters a delegated mint reads. */
export interface DelegationParams {
  subject_token?: string;
  subject_token_type?: string;
  actor_token?: string;
  actor_token_type?: string;
  audience?: string | string[];
  resource?: string | string[];
  scope?: string;
  organization?: string;
}

/** An OAuth error of Auth0's Session Delegation (400), which its SDKs surface by `error`. */
function auth0Error(error: 'session_transfer_disabled' | 'setactor_required', description: string) {
  const err = new errors.CustomOIDCProviderError(error, description);
  Object.assign(err, { status: 400, statusCode: 400 });
  return err;
}

/** Refuses a client that may not mint for other users: it needs both Auth0 settings and a secret. */
export function requireDelegatingClient(ctx: TokenEndpointGrantContext): void {
  const { client } = ctx.oidc;
  if (!clientSettings(client).can_create_session_transfer_token || !delegates(client) || client.clientAuthMethod === 'none') {
    throw refuse('delegation_not_allowed', auth0Error('session_transfer_disabled',
      'the client is not allowed to create delegated session transfer tokens (it needs session_transfer.can_create_session_transfer_token, '
      + 'token_exchange.allow_any_profile_of_type ["custom_authentication"], and client authentication)'));
  }
}

/**
 * The record of a delegated token (Auth0's Session Delegation): the minting client is allowed,
 * the actor is verified, the host's profile names the subject, and every named web client
 * accepts delegated tokens. Its parent grant is the actor's: revoking the agent's grant voids
 * what it minted and ends the sessions they created. Never a refresh token, never offline access.
 */
export async function delegatedRecord(
  ctx: TokenEndpointGrantContext<DelegationParams>,
  deps: { provider: Provider; hooks: ProviderHooks; options: ResolvedOptions; delegation: ResolvedDelegation; store: TransferStore; transferAudiences: ReadonlySet<string> },
  request: RequestContext,
  iat: number,
): Promise<TransferRecord> {
  const { provider, hooks, options, delegation, store } = deps;
  const params = ctx.oidc.params;
  requireDelegatingClient(ctx);
  if (!params.actor_token) {
    throw refuse('actor_required', auth0Error('setactor_required', 'a delegated session transfer token needs an actor: send the agent\'s ID token as actor_token'));
  }
  if (params.actor_token_type !== ID_TOKEN_TYPE) {
    throw invalidRequest(`actor_token_type must be ${ID_TOKEN_TYPE}`);
  }
  const actor = await verifyActor(provider, store, ctx.oidc.client, params.actor_token, options.clock());
  const audience = await resolveAudience(provider, ctx.oidc.client, params, deps.transferAudiences, (client) =>
    (clientSettings(client).delegation.allow_delegated_access ? undefined : 'does not accept delegated session transfer tokens'));

  request.asn = await asnOf(options.asnResolver, request.ip);
  let subject: { accountId?: unknown } | undefined | null;
  try {
    subject = await callWithDeadline(() => delegation.resolveSubject({
      subjectToken: params.subject_token!,
      subjectTokenType: params.subject_token_type!,
      clientId: ctx.oidc.client.clientId,
      actor: { sub: actor.sub },
      ...(params.scope === undefined ? {} : { scope: params.scope }),
      ...(params.organization === undefined ? {} : { organization: params.organization }),
      ip: request.ip,
    }), delegation.timeout, 'delegation.resolveSubject');
  } catch {
    subject = undefined;
  }
  const accountId = subject?.accountId;
  if (typeof accountId !== 'string' || !accountId || !(await hooks.findAccount(ctx, accountId))) {
    throw refuse('subject_refused', new errors.InvalidGrant('subject_token was not accepted'));
  }
  // Without a scope, what Auth0 allows: any OpenID Connect scope the web app asks for (no consent
  // is shown). Offline access is never delegated: the session is short and ends for good.
  const scope = (params.scope ?? hooks.oidcScopes.join(' ')).split(' ').filter((value) => value && value !== 'offline_access').join(' ');
  return {
    accountId,
    clientId: ctx.oidc.client.clientId,
    grantId: actor.grantId,
    scope,
    ...(audience ? { audience } : {}),
    ...request,
    iat,
    exp: iat + options.ttl,
    actor: actor.sub,
  };
}

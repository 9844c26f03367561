import {
  errors, type Account, type Grant, type Provider, type RefreshToken, type TokenEndpointGrantContext,
} from 'oidc-provider';

import { TRANSFER_AMR } from '../options.js';
import type { DpopProof } from './dpop.js';
import { deleteGrantTokens, revokeGrant } from '../revocation/revoke-grant.js';
import type { ProviderHooks } from '../provider-hooks.js';
import { refuse } from './refusal.js';

export interface LoadedRefreshToken {
  refreshToken: RefreshToken;
  grant: Grant;
  account: Account;
}

/**
 * Finds and checks the refresh token offered as subject token, in the order of oidc-provider's
 * built-in refresh_token grant, so the exchange refuses what a normal refresh would refuse.
 * A consumed (rotated) token is reuse: it and every token of its grant are revoked, and the grant
 * too when the host's `revokeGrantPolicy` says so, as a refresh would.
 * A DPoP-bound token needs `dPoP`, a verified proof for its key; the proof's `jti` is spent.
 */
export async function loadRefreshToken(
  provider: Provider,
  hooks: ProviderHooks,
  ctx: TokenEndpointGrantContext,
  value: string,
  dPoP: DpopProof | undefined,
): Promise<LoadedRefreshToken> {
  const { client } = ctx.oidc;
  const invalid = (detail: string) => refuse('refresh_token_invalid', new errors.InvalidGrant(detail));

  const refreshToken = await provider.RefreshToken.find(value, { ignoreExpiration: true });
  if (!refreshToken) throw invalid('refresh token not found');
  if (refreshToken.clientId !== client.clientId) throw invalid('client mismatch');
  if (refreshToken.isExpired) throw invalid('refresh token is expired');
  if (refreshToken['x5t#S256'] || refreshToken.attestationJkt) {
    // The certificate and the attestation are checked by oidc-provider's own grants only; refuse
    // rather than skip the check.
    throw refuse('sender_constrained', new errors.InvalidGrant(
      'refresh tokens bound to a client certificate (mTLS) or a client attestation key cannot be exchanged for session transfer tokens'));
  }
  if (!dPoP && client.dpopBoundAccessTokens) throw refuse('sender_constrained', new errors.InvalidGrant('DPoP proof JWT not provided'));

  const grant = await provider.Grant.find(refreshToken.grantId!, { ignoreExpiration: true });
  if (!grant) throw invalid('grant not found');
  if (grant.isExpired) throw invalid('grant is expired');
  if (grant.clientId !== client.clientId) throw invalid('client mismatch');

  if (dPoP && !hooks.dpop.allowReplay) {
    const unique = await provider.ReplayDetection.unique(client.clientId, dPoP.jti, dPoP.replayUntil);
    if (!unique) throw refuse('dpop_proof_invalid', new errors.InvalidGrant('DPoP proof JWT Replay detected'));
  }
  if (refreshToken.jkt && refreshToken.jkt !== dPoP?.thumbprint) {
    throw refuse('sender_constrained', new errors.InvalidGrant('failed jkt verification'));
  }

  ctx.oidc.entity('RefreshToken', refreshToken);
  ctx.oidc.entity('Grant', grant);

  const account = await hooks.findAccount(ctx, refreshToken.accountId, refreshToken);
  if (!account) throw invalid('refresh token invalid (referenced account not found)');
  if (refreshToken.accountId !== grant.accountId) throw invalid('accountId mismatch');
  ctx.oidc.entity('Account', account);

  if (refreshToken.consumed) {
    const grantId = refreshToken.grantId!;
    const revokesGrant = await hooks.revokeGrantPolicy(ctx);
    await Promise.all([refreshToken.destroy(), revokesGrant ? revokeGrant(provider, ctx, grantId) : deleteGrantTokens(provider, grantId)]);
    throw refuse('refresh_token_reused', new errors.InvalidGrant('refresh token already used'));
  }
  if (refreshToken.amr?.includes(TRANSFER_AMR)) {
    throw refuse('nested_transfer', new errors.InvalidGrant('refresh tokens born from a session transfer cannot create session transfer tokens'));
  }
  return { refreshToken, grant, account };
}

/**
 * Rotates the refresh token when the provider's `rotateRefreshToken` policy says so, exactly as
 * the built-in grant does; returns the new token's value, or undefined when it did not rotate.
 */
export async function rotateRefreshToken(
  provider: Provider,
  hooks: ProviderHooks,
  ctx: TokenEndpointGrantContext,
  refreshToken: RefreshToken,
): Promise<string | undefined> {
  if (!(await hooks.shouldRotate(ctx))) return undefined;

  await refreshToken.consume();
  ctx.oidc.entity('RotatedRefreshToken', refreshToken);
  const origin = refreshToken.gty ?? '';
  const gty = !origin || origin.endsWith('refresh_token') ? origin : `${origin} refresh_token`;
  const rotated = new provider.RefreshToken({
    accountId: refreshToken.accountId,
    acr: refreshToken.acr,
    amr: refreshToken.amr,
    authTime: refreshToken.authTime,
    claims: refreshToken.claims,
    client: ctx.oidc.client,
    expiresWithSession: refreshToken.expiresWithSession,
    iiat: refreshToken.iiat,
    grantId: refreshToken.grantId!,
    gty,
    nonce: refreshToken.nonce,
    resource: refreshToken.resource,
    rotations: typeof refreshToken.rotations === 'number' ? refreshToken.rotations + 1 : 1,
    scope: refreshToken.scope!,
    sessionUid: refreshToken.sessionUid,
    sid: refreshToken.sid,
    rar: refreshToken.rar,
    // Still bound to the same key.
    jkt: refreshToken.jkt,
  });
  ctx.oidc.entity('RefreshToken', rotated);
  return rotated.save();
}

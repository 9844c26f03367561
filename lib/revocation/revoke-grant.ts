import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

/**
 * Ends a grant: once it is gone oidc-provider refuses every code and token issued under it (each
 * use loads the grant). Inside a request it emits `grant.revoked`, like the provider.
 */
export async function endGrant(provider: Provider, ctx: KoaContextWithOIDC | undefined, grantId: string): Promise<void> {
  await provider.Grant.adapter.destroy(grantId);
  if (ctx) provider.emit('grant.revoked', ctx, grantId);
}

/** Deletes the codes and tokens issued under a grant from the provider's storage. */
export async function deleteGrantTokens(provider: Provider, grantId: string): Promise<void> {
  const models = [
    provider.AccessToken,
    provider.RefreshToken,
    provider.AuthorizationCode,
    provider.DeviceCode,
    provider.BackchannelAuthenticationRequest,
    provider.PreAuthorizedCode,
  ];
  await Promise.all(models.map((model) => model.revokeByGrantId(grantId)));
}

/**
 * Revokes a grant and every token issued under it, as oidc-provider's own (private) revoke
 * helper does, through public model statics only.
 */
export async function revokeGrant(provider: Provider, ctx: KoaContextWithOIDC | undefined, grantId: string): Promise<void> {
  await Promise.all([deleteGrantTokens(provider, grantId), endGrant(provider, ctx, grantId)]);
}

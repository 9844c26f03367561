import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

/**
 * Revokes a grant and every token issued under it, as oidc-provider's own (private) revoke
 * helper does, through public model statics only; then, inside a request, emits `grant.revoked`
 * like the provider.
 */
export async function revokeGrant(provider: Provider, ctx: KoaContextWithOIDC | undefined, grantId: string): Promise<void> {
  const models = [
    provider.AccessToken,
    provider.RefreshToken,
    provider.AuthorizationCode,
    provider.DeviceCode,
    provider.BackchannelAuthenticationRequest,
    provider.PreAuthorizedCode,
  ];
  await Promise.all([
    ...models.map((model) => model.revokeByGrantId(grantId)),
    provider.Grant.adapter.destroy(grantId),
  ]);
  if (ctx) provider.emit('grant.revoked', ctx, grantId);
}

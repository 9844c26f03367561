import type { AccessToken, Account, Grant, KoaContextWithOIDC, Provider, RefreshToken } from 'oidc-provider';

import { issueIdToken } from './mint/id-token.js';
import type { ProviderHooks } from './provider-hooks.js';

/**
 * Middleware: the ID token a refresh returns carries no `nonce`. OpenID Connect Core 1.0 §12.2
 * says it SHOULD NOT; oidc-provider copies the sign-in's, and Okta's mobile SDKs validate a
 * refreshed ID token against no nonce, so they refuse it (Kotlin on every refresh). It is issued
 * again as the refresh issued it, the nonce left out.
 */
export function refreshedIdTokenWithoutNonce(provider: Provider, hooks: ProviderHooks) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.oidc.params?.grant_type !== 'refresh_token') return;
    const body = ctx.body as Record<string, unknown> | undefined;
    const { RefreshToken: refreshToken, Grant: grant, Account: account, AccessToken: accessToken } = ctx.oidc.entities as {
      RefreshToken?: RefreshToken; Grant?: Grant; Account?: Account; AccessToken?: AccessToken;
    };
    if (typeof body?.id_token !== 'string' || !refreshToken?.nonce || !grant || !account) return;
    // A refresh may narrow the scope (`scope`): its ID token is of that scope.
    const requested = typeof ctx.oidc.params.scope === 'string' ? new Set(ctx.oidc.params.scope.split(' ')) : undefined;
    const scopes = requested ? new Set([...refreshToken.scopes].filter((scope) => requested.has(scope))) : refreshToken.scopes;
    const { scope, claims, acr, amr, authTime, sid } = refreshToken;
    const idToken = await issueIdToken(provider, hooks, ctx, {
      refreshToken: { scopes, scope: requested ? [...scopes].join(' ') : scope, claims, acr, amr, authTime, sid, nonce: undefined },
      grant,
      account,
      accessTokenAudience: accessToken?.aud,
    });
    ctx.body = { ...body, id_token: idToken };
  };
}

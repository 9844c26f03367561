import type { Account, Grant, IdToken, KoaContextWithOIDC, Provider, RefreshToken } from 'oidc-provider';

import type { ProviderHooks } from '../provider-hooks.js';

/** Claims the `claims` parameter may always ask for, whatever the grant allows. */
const NON_REJECTABLE = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

/** What an ID token is issued from: a refresh token, or anything with its fields (a Native SSO exchange without one). */
export type IdTokenSource = Pick<RefreshToken, 'scopes' | 'scope' | 'claims' | 'acr' | 'amr' | 'authTime' | 'nonce' | 'sid'>;

/** IdToken's settable fields used by the built-in grants, missing from its public typings. */
type IssuableIdToken = IdToken & { scope: string; mask: object; rejected: string[] };

/**
 * The ID token a refresh of `refreshToken` would return (the Auth0 SDKs store it with the
 * transfer credentials), with `extra` claims, or undefined when its scope lacks `openid`.
 * `accessTokenAudience`: the `aud` of the access token issued with it, if any.
 */
export async function issueIdToken(
  provider: Provider,
  hooks: ProviderHooks,
  ctx: KoaContextWithOIDC,
  { refreshToken, grant, account, accessTokenAudience }: { refreshToken: IdTokenSource; grant: Grant; account: Account; accessTokenAudience?: unknown },
  extra: Record<string, unknown> = {},
): Promise<string | undefined> {
  const { scopes } = refreshToken;
  if (!scopes.has('openid')) return undefined;

  const requested = { ...refreshToken.claims?.id_token };
  const granted = new Set(grant.getOIDCClaimsFiltered(new Set(Object.keys(requested))));
  for (const claim of Object.keys(requested)) {
    if (!NON_REJECTABLE.has(claim) && !granted.has(claim)) delete requested[claim];
  }
  const rejected = grant.getRejectedOIDCClaims();

  const token = new provider.IdToken({
    ...(await account.claims('id_token', refreshToken.scope ?? '', requested, rejected)),
    sub: account.accountId,
    acr: refreshToken.acr,
    amr: refreshToken.amr,
    auth_time: refreshToken.authTime,
  }, { ctx }) as IssuableIdToken;
  // As the built-in grants: with the access token for an API (`aud`), userinfo cannot give the claims.
  token.scope = hooks.conformIdTokenClaims && !accessTokenAudience ? 'openid' : grant.getOIDCScopeFiltered(scopes);
  token.mask = requested;
  token.rejected = rejected;
  token.set('nonce', refreshToken.nonce);
  token.set('sid', refreshToken.sid);
  for (const [claim, value] of Object.entries(extra)) token.set(claim, value);
  return token.issue({ use: 'idtoken' });
}

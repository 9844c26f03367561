import type { Account, Configuration, FindAccount, KoaContextWithOIDC, RefreshToken } from 'oidc-provider';

/**
 * The pieces of the host's oidc-provider configuration the mint must honour like the built-in
 * grants do. oidc-provider keeps its resolved configuration private, so `configure()` reads them
 * from the configuration it is given, with oidc-provider's documented defaults where absent.
 */
export interface ProviderHooks {
  findAccount: FindAccount;
  shouldRotate(ctx: KoaContextWithOIDC): Promise<boolean>;
  /** ID tokens carry only `openid` claims (the rest come from userinfo), as the built-in grants do. */
  conformIdTokenClaims: boolean;
  /** The token endpoint path, relative to the provider's mount point. */
  tokenPath: string;
}

/** oidc-provider's default `findAccount`: any subject is an account with only a `sub` claim. */
const defaultFindAccount: FindAccount = (_ctx, sub): Account => ({ accountId: sub, claims: () => ({ sub }) });

/** oidc-provider's default `rotateRefreshToken` policy. */
function defaultRotate(ctx: KoaContextWithOIDC): boolean {
  const refreshToken = ctx.oidc.entities.RefreshToken as RefreshToken;
  const { client } = ctx.oidc;
  // Rotation stops once a token family is a year old, so its lifetime becomes final.
  if (refreshToken.totalLifetime() >= 365.25 * 24 * 60 * 60) return false;
  if (client?.clientAuthMethod === 'none' && !refreshToken.isSenderConstrained()) return true;
  return refreshToken.ttlPercentagePassed() >= 70;
}

export function captureHooks(configuration: Configuration): ProviderHooks {
  const rotate = configuration.rotateRefreshToken ?? defaultRotate;
  const userinfo = configuration.features?.userinfo?.enabled ?? true;
  return {
    findAccount: configuration.findAccount ?? defaultFindAccount,
    async shouldRotate(ctx) {
      const answer = typeof rotate === 'function' ? await rotate(ctx) : rotate;
      if (typeof answer !== 'boolean') throw new TypeError('rotateRefreshToken must return a boolean');
      return answer;
    },
    conformIdTokenClaims: (configuration.conformIdTokenClaims ?? true) && userinfo,
    tokenPath: configuration.routes?.token ?? '/token',
  };
}

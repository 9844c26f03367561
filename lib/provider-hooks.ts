import type {
  Account, Client, Configuration, FindAccount, Grant, KoaContextWithOIDC, RefreshToken, Session,
} from 'oidc-provider';

import { dpopSettings, type DpopSettings } from './mint/dpop.js';

type IssueRefreshToken = NonNullable<Configuration['issueRefreshToken']>;
type ExpiresWithSession = NonNullable<Configuration['expiresWithSession']>;
type GrantSource = Parameters<IssueRefreshToken>[2];
type ExtraTokenClaims = NonNullable<Configuration['extraTokenClaims']>;

/**
 * The parts of the host's oidc-provider configuration the library builds on. oidc-provider keeps
 * its resolved configuration private, so `configure()` reads them from the configuration it is
 * given, with oidc-provider's documented defaults where absent.
 */
export interface ProviderHooks {
  findAccount: FindAccount;
  shouldRotate(ctx: KoaContextWithOIDC): Promise<boolean>;
  /** ID tokens carry only `openid` claims (the rest come from userinfo), as the built-in grants do. */
  conformIdTokenClaims: boolean;
  /** Endpoint paths, relative to the provider's mount point. */
  tokenPath: string;
  revocationPath: string;
  endSessionPath: string;
  /** The host's `ttl.Session` in seconds. */
  sessionTtl(ctx: KoaContextWithOIDC, session: Session): number;
  loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined>;
  issueRefreshToken: IssueRefreshToken;
  expiresWithSession: ExpiresWithSession;
  extraTokenClaims: ExtraTokenClaims;
  revokeGrantPolicy(ctx: KoaContextWithOIDC): Promise<boolean>;
  dpop: DpopSettings;
  /** The scopes the provider offers (its `scopes`, and the scopes of its `claims`), `offline_access` left out. */
  oidcScopes: string[];
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

/** oidc-provider's defaults for the grant and token-lifetime hooks. */
const DEFAULT_SESSION_TTL = 14 * 24 * 60 * 60;

async function defaultLoadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const grantId = ctx.oidc.result?.consent?.grantId as string | undefined
    ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
  return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
}

const defaultIssueRefreshToken = async (_ctx: KoaContextWithOIDC, client: Client, source: GrantSource) =>
  client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access');

/** oidc-provider's default: revoking an access token keeps the grant; anything else revokes it. */
const defaultRevokeGrantPolicy = (ctx: KoaContextWithOIDC) => !(ctx.oidc.route === 'revocation' && ctx.oidc.entities.AccessToken);

const defaultExpiresWithSession = async (_ctx: KoaContextWithOIDC, source: Parameters<ExpiresWithSession>[1]) =>
  !source.scopes.has('offline_access');

export function captureHooks(configuration: Configuration): ProviderHooks {
  const rotate = configuration.rotateRefreshToken ?? defaultRotate;
  const userinfo = configuration.features?.userinfo?.enabled ?? true;
  const sessionTtl = configuration.ttl?.Session ?? DEFAULT_SESSION_TTL;
  return {
    findAccount: configuration.findAccount ?? defaultFindAccount,
    async shouldRotate(ctx) {
      const answer = typeof rotate === 'function' ? await rotate(ctx) : rotate;
      if (typeof answer !== 'boolean') throw new TypeError('rotateRefreshToken must return a boolean');
      return answer;
    },
    conformIdTokenClaims: (configuration.conformIdTokenClaims ?? true) && userinfo,
    tokenPath: configuration.routes?.token ?? '/token',
    revocationPath: configuration.routes?.revocation ?? '/token/revocation',
    endSessionPath: configuration.routes?.end_session ?? '/session/end',
    sessionTtl: (ctx, session) => (typeof sessionTtl === 'function' ? sessionTtl(ctx, session) : sessionTtl),
    loadExistingGrant: async (ctx) => (await (configuration.loadExistingGrant ?? defaultLoadExistingGrant)(ctx)) ?? undefined,
    issueRefreshToken: configuration.issueRefreshToken ?? defaultIssueRefreshToken,
    expiresWithSession: configuration.expiresWithSession ?? defaultExpiresWithSession,
    extraTokenClaims: configuration.extraTokenClaims ?? (() => undefined),
    async revokeGrantPolicy(ctx) {
      const answer = await (configuration.revokeGrantPolicy ?? defaultRevokeGrantPolicy)(ctx);
      if (typeof answer !== 'boolean') throw new TypeError('revokeGrantPolicy must return a boolean');
      return answer;
    },
    dpop: dpopSettings(configuration),
    oidcScopes: [...new Set(['openid', ...(configuration.scopes ?? []),
      ...Object.entries(configuration.claims ?? {}).filter(([, claims]) => Array.isArray(claims)).map(([scope]) => scope)])]
      .filter((scope) => scope !== 'offline_access'),
  };
}

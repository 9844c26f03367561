import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

import { debug } from '../debug.js';
import type { SessionTransferEmitter } from '../events.js';
import { DELEGATION_AMR } from '../options.js';

interface DelegatedCode {
  amr?: string[];
  accountId?: string;
  clientId?: string;
  grantId?: string;
}

/** The authorization code a successful token request exchanged, when it was issued in a delegated session. */
function delegatedCode(ctx: KoaContextWithOIDC): DelegatedCode | undefined {
  const code = ctx.oidc?.entities?.AuthorizationCode as DelegatedCode | undefined;
  return code?.amr?.includes(DELEGATION_AMR) ? code : undefined;
}

/**
 * Reports the exchanges of codes issued in delegated sessions, Auth0's `sdeleacft` and
 * `fdeleacft`, from oidc-provider's token endpoint events: a web app's use of a delegated
 * session is audited to its tokens.
 */
export function reportDelegatedCodeExchanges(provider: Provider, events: SessionTransferEmitter): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const code = delegatedCode(ctx);
    if (!code) return;
    const act = (ctx.oidc.entities.AccessToken as { extra?: { act?: { sub?: unknown } } } | undefined)?.extra?.act;
    events.report('delegated_code_exchange', {
      type: 'delegated_code_exchange', logCode: 'sdeleacft', clientId: ctx.oidc.client!.clientId,
      accountId: code.accountId!, grantId: code.grantId!, ...(typeof act?.sub === 'string' ? { actor: { sub: act.sub } } : {}),
    });
  });
  // A failed exchange stops before oidc-provider names the code: it is looked up here, once.
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: Error & { error?: string }) => {
    const value = (ctx.oidc?.params as { grant_type?: string; code?: string } | undefined);
    if (value?.grant_type !== 'authorization_code' || typeof value.code !== 'string') return;
    void provider.AuthorizationCode.find(value.code, { ignoreExpiration: true }).then((found) => {
      const code = found as DelegatedCode | undefined;
      if (!code?.amr?.includes(DELEGATION_AMR)) return;
      events.report('delegated_code_exchange', {
        type: 'delegated_code_exchange', logCode: 'fdeleacft', clientId: ctx.oidc.client?.clientId ?? code.clientId!,
        accountId: code.accountId!, grantId: code.grantId!, error: err.error ?? 'server_error',
      });
    }, (lookup: unknown) => debug('looking up a failed code exchange\'s code failed: %O', lookup));
  });
}

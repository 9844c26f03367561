import type { KoaContextWithOIDC, Provider, Session } from 'oidc-provider';

import { revokeGrant } from './revoke-grant.js';

/**
 * Ends the browser session in this request: revokes every grant it holds (with their codes and
 * tokens), removes its principal and gives it a new identifier, so the old session is destroyed
 * when oidc-provider saves this one. Returns the revoked grant ids.
 */
export async function endSession(provider: Provider, ctx: KoaContextWithOIDC, session: Session): Promise<string[]> {
  const grantIds = Object.values(session.authorizations ?? {})
    .map((authorization) => authorization.grantId)
    .filter((grantId): grantId is string => typeof grantId === 'string');
  await Promise.all(grantIds.map((grantId) => revokeGrant(provider, ctx, grantId)));

  // The session proxy refuses to set an empty accountId but allows deleting it.
  delete session.accountId;
  session.loginTs = undefined;
  session.amr = undefined;
  session.acr = undefined;
  session.authorizations = undefined;
  session.resetIdentifier();
  return grantIds;
}

import { randomBytes } from 'node:crypto';

import type { KoaContextWithOIDC, Provider, Session } from 'oidc-provider';

import { revokeGrant } from './revoke-grant.js';

/**
 * Ends the browser session in this request as oidc-provider's logout would: revokes the grants it
 * holds (with their codes and tokens) except those that persist logout (offline grants, whose
 * tokens outlive the session), removes its principal and gives it a new identifier, so the old
 * session is destroyed when oidc-provider saves this one. Its `uid` is new too, as after a logout:
 * the old one stays in the lineage it was recorded in, and a later transfer of another user into
 * this browser must not share it (a cascade of the first user's grant would end the second's
 * session). Returns the revoked grant ids.
 */
export async function endSession(provider: Provider, ctx: KoaContextWithOIDC, session: Session): Promise<string[]> {
  const grantIds = Object.values(session.authorizations ?? {})
    .filter((authorization) => !(authorization as { persistsLogout?: boolean }).persistsLogout)
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
  session.uid = randomBytes(16).toString('base64url');
  return grantIds;
}

import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { StoreUnavailableError } from '../errors.js';
import { forceLogin, knownTransferredSession } from '../redeem/request-state.js';
import type { TransferStore } from '../store/store.js';

/** How long a web grant stays recorded when it does not say when it expires (14 days). */
const DEFAULT_GRANT_TTL = 14 * 24 * 60 * 60;

/**
 * Records a web client's grant made in a session that came from a transfer as a child of the
 * native grant, so the cascade revokes it even after the session itself is gone. Only needed
 * when the client's tokens may outlive the session (`enforce_online_refresh_tokens: false`):
 * otherwise they all end with the session, which the cascade already reaches. If it cannot be
 * recorded the login prompt is forced: nothing is issued that a cascade could miss.
 */
export async function recordWebGrant(ctx: KoaContextWithOIDC, store: TransferStore, grant: Grant, maxLineage: number): Promise<void> {
  if (clientSettings(ctx.oidc.client!).enforce_online_refresh_tokens) return;
  try {
    const transferred = knownTransferredSession(ctx) ?? await store.touchSession(ctx.oidc.session!.uid);
    if (!transferred?.cascade) return;
    const remaining = grant.exp ? grant.exp - Math.floor(Date.now() / 1000) : DEFAULT_GRANT_TTL;
    const added = await store.addChild(transferred.grantId, `grant:${grant.jti}`, Math.max(1, remaining), maxLineage);
    if (added !== 'added') forceLogin(ctx);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    forceLogin(ctx);
  }
}

import type { KoaContextWithOIDC } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { debug } from '../debug.js';
import type { TransferStore } from '../store/store.js';

/**
 * Middleware: a logout the user confirmed at the end-session endpoint, from a web client with
 * `session_transfer.logout_native`, of a browser session created from a transfer, signs out the
 * native side it came from too (`end`, given the parent grant): "sign out everywhere" from the
 * web. oidc-provider has ended the browser session first; the session's record names the parent.
 * A delegated session's parent is the support agent's grant: it is left alone. A store that cannot
 * answer leaves the native side signed in, reported as a debug line (the browser is already
 * logged out; its redirect stands).
 */
export function webLogout(store: TransferStore, end: (parentGrantId: string) => Promise<void>) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const { client, session } = ctx.oidc ?? {};
    // Only a logout the user confirmed (`logout=yes`); "stay signed in" ends this client's login only.
    if (ctx.oidc?.route !== 'end_session_confirm' || !ctx.oidc.params?.logout) return;
    if (!client || !session?.uid || !clientSettings(client).logout_native) return;
    try {
      const transferred = await store.findSession(session.uid);
      if (transferred && transferred.actor === undefined) await end(transferred.grantId);
    } catch (err) {
      debug('signing out the native app after a web logout failed: %O', err);
    }
  };
}

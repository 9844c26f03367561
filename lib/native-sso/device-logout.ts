import type { KoaContextWithOIDC } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { debug } from '../debug.js';
import { StoreUnavailableError } from '../errors.js';
import type { DeviceSessionStore } from '../store/store.js';
import { outsideGroup } from './device-credentials.js';
import { deviceSessionIdOf, dsHash } from './device-secret.js';

/**
 * Middleware: a device secret revoked at the revocation endpoint (RFC 7009; Okta's SDKs send
 * `token_type_hint=device_secret`) by a Native SSO app of its group ends its device session — a
 * device-wide logout. oidc-provider has authenticated the client and answered 200 first (it knows
 * no such token); a secret that is not current, or revoked by an app outside the group, is ignored,
 * as RFC 7009 ignores unknown tokens. A store
 * that cannot answer turns the answer into 503, so the app knows to try again.
 */
export function deviceSecretRevocation(store: DeviceSessionStore, end: (id: string) => Promise<void>) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'revocation' || ctx.status !== 200 || !ctx.oidc.client || !clientSettings(ctx.oidc.client).native_sso) return;
    const token = ctx.oidc.params?.token;
    const id = typeof token === 'string' ? deviceSessionIdOf(token) : undefined;
    if (id === undefined) return;
    try {
      const found = await store.deviceSession(id, dsHash(token as string));
      if (found?.current && await outsideGroup(ctx.oidc.provider, found.session, ctx.oidc.client) === undefined) await end(id);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      debug('device secret revocation failed: %O', err);
      ctx.status = 503;
      ctx.body = { error: 'server_error', error_description: 'the device session could not be ended: try again' };
    }
  };
}

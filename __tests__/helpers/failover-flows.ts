import request from 'supertest';

import type { testIdentityProvider } from './idp.js';
import { authorize, exchangeCode, mintToken, type Agent } from './web-login.js';

/** What the failover tests do over HTTP, on Sentinel and on Cluster alike. */

type Idp = ReturnType<typeof testIdentityProvider>;

/** The first byte of a consumed token's value (the library's replay marker). */
export const REPLAY_MARK = '!';

/** The library's key names, as its Redis store makes them. */
export interface StoreKeys {
  sessionKey(uid: string): string;
  lineageKey(grantId: string): string;
  revokedKey(grantId: string): string;
}

export const storeKeys = (idp: Idp): StoreKeys => idp.transfer.store as unknown as StoreKeys;

/** The uid of a session a lineage lists (`session:<uid>`). */
export const sessionUidOf = (child: string): string => child.slice('session:'.length);

/**
 * The token presented at the authorization endpoint by a new browser for example-web: `code`
 * (signed in), `login` (the login prompt: refused), or what else it ended in.
 */
export async function present(idp: Idp, token: string): Promise<string> {
  const outcome = await authorize(request.agent(idp.app), idp.provider, { token });
  return outcome.kind === 'interaction' ? outcome.prompt : outcome.kind === 'error' ? outcome.error : 'code';
}

/** A native login, a mint and its redeem into a web session (refresh-web), as cascade.test.ts does. */
export async function webSessionFromTransfer(idp: Idp) {
  const { token, native } = await mintToken(idp.app);
  const web = request.agent(idp.app);
  const redeemed = await authorize(web, idp.provider, { clientId: 'refresh-web', token });
  if (redeemed.kind !== 'code') throw new Error(`redeem ended in ${redeemed.kind}`);
  const exchanged = await exchangeCode(idp.app, redeemed.code, 'refresh-web');
  if (exchanged.status !== 200) throw new Error(`code exchange answered ${exchanged.status}`);
  return { native, web, grantId: await grantOf(idp, native.refresh_token) };
}

/** The grant a native refresh token belongs to. */
export async function grantOf(idp: Idp, refreshToken: string): Promise<string> {
  const { grantId } = (await idp.provider.RefreshToken.find(refreshToken))!;
  return grantId!;
}

/** Whether the web browser is still signed in: a silent authorization request gets a code. */
export async function signedIn(idp: Idp, web: Agent): Promise<boolean> {
  return (await authorize(web, idp.provider, { clientId: 'refresh-web', prompt: 'none' })).kind === 'code';
}

import {
  type Account, type AuthorizationCode, type FindAccount, type KoaContextWithOIDC, type RefreshToken,
} from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { StoreUnavailableError } from '../errors.js';
import type { SessionTransferEmitter } from '../events.js';
import { deviceLineage, type DeviceSession, type DeviceSessionStore, type TransferStore } from '../store/store.js';
import { deviceSessionIdOf, dsHash, DEVICE_SSO_SCOPE, NATIVE_SSO_GTY, newDeviceSecret } from './device-secret.js';

/** Device secrets a device session keeps: every refresh without one issues a new one (§3.4.3). */
export const DEVICE_SECRETS_KEPT = 10;

/** The device session claims of one token response, and the device secret it returns when new. */
interface DeviceClaims {
  id: string;
  dsHash: string;
  secret?: string;
}

const STATE = Symbol('nativeSso');
type WithDeviceClaims = { [STATE]?: DeviceClaims | null };

/** Sets the ID token claims of a response whose tokens another step issues (the exchange). */
export function setDeviceClaims(ctx: KoaContextWithOIDC, claims: DeviceClaims): void {
  (ctx.state as WithDeviceClaims)[STATE] = claims;
}

export interface IssuanceDependencies {
  store: TransferStore & DeviceSessionStore;
  events: SessionTransferEmitter;
  lifetime: number;
  maxApps: number;
  clock: () => number;
}

/** What a device session is started from: the code of a sign-in, or a refresh token of one. */
type Source = AuthorizationCode | RefreshToken;

/**
 * Starts a device session from a sign-in (§3.4.2), or a refresh with none alive (§3.4.3): a new
 * device secret, the grant its first app. Lives `lifetime`, or less when the app's refresh token
 * ends sooner (the spec's "session behind the refresh token"). A store that cannot answer
 * degrades the sign-in to one without a device secret, reported.
 */
async function start(ctx: KoaContextWithOIDC, deps: IssuanceDependencies, source: Source): Promise<DeviceClaims | null> {
  const { store, events } = deps;
  const clientId = ctx.oidc.client!.clientId;
  const now = Math.floor(deps.clock() / 1000);
  const refreshToken = ctx.oidc.entities.RefreshToken as RefreshToken | undefined;
  const ttl = Math.max(1, Math.min(deps.lifetime, refreshToken?.remainingTTL ?? deps.lifetime));
  const session: DeviceSession = {
    accountId: source.accountId!, clientId, grantId: source.grantId!, scope: source.scope ?? '', iat: now, exp: now + ttl,
    ...(source.authTime === undefined ? {} : { authTime: source.authTime }),
    ...(source.amr?.length ? { amr: source.amr } : {}),
    ...(source.acr === undefined ? {} : { acr: source.acr }),
  };
  const request = { ip: ctx.ip, ...(ctx.get('user-agent') ? { userAgent: ctx.get('user-agent') } : {}) };
  const { id, secret } = newDeviceSecret(source.sid);
  const degraded = (error: string) => {
    events.report('native_sso', { type: 'native_sso', outcome: 'degraded', clientId, accountId: session.accountId, ...request, error });
    return null;
  };
  try {
    // One write after the other, the record last, so that a write that fails leaves no record a
    // device logout would miss: the grant joins the lineage, then is linked, then heads the record.
    // `maxApps` bounds the apps a device secret signs in, not this: a sign-in through the browser
    // again, in the same browser session (the same `sid`, which oidc-provider puts in the ID
    // token), renews its device session, so it joins even one that holds its most apps.
    const added = await store.addChild(deviceLineage(id), `grant:${session.grantId}`, ttl, Number.MAX_SAFE_INTEGER, now);
    // A device logout of this `sid` moments ago (its mark lives the transfer tokens' ttl + 5 s):
    // the app signs in without a secret, and a refresh after that starts the device session.
    if (added === 'revoked') return degraded('its device session (this sid) ended moments ago');
    await store.linkDeviceGrant(session.grantId, id, ttl);
    await store.saveDeviceSession(id, session, dsHash(secret), ttl);
    events.report('native_sso', { type: 'native_sso', outcome: 'started', clientId, accountId: session.accountId, deviceSessionId: id, ...request });
    return { id, dsHash: dsHash(secret), secret };
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    return degraded(err.message);
  }
}

/**
 * At a refresh: the device secret the app sent when it is current (no rotation: §3.4.3 advises
 * against it), else a new secret of the grant's device session, else a new device session. An
 * app signed in by the exchange never starts one: it belongs to the device session that signed
 * it in (its grant ends with it), and with that one gone it gets no secret (and no `ds_hash`).
 */
async function refreshed(ctx: KoaContextWithOIDC, deps: IssuanceDependencies, refreshToken: RefreshToken): Promise<DeviceClaims | null> {
  const { store } = deps;
  try {
    const id = await store.deviceSessionOfGrant(refreshToken.grantId!);
    const sent = ctx.oidc.body?.device_secret;
    if (id !== undefined) {
      const hash = typeof sent === 'string' && deviceSessionIdOf(sent) === id ? dsHash(sent) : '';
      const found = await store.deviceSession(id, hash);
      if (found?.session.accountId === refreshToken.accountId) {
        if (found.current) return { id, dsHash: hash };
        const { secret } = newDeviceSecret(id);
        if (await store.addDeviceSecret(id, dsHash(secret), DEVICE_SECRETS_KEPT)) return { id, dsHash: dsHash(secret), secret };
      }
    }
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
  }
  return refreshToken.gty?.split(' ').includes(NATIVE_SSO_GTY) ? null : start(ctx, deps, refreshToken);
}

/** The device session claims of this token response; computed once per request. */
async function deviceClaims(ctx: KoaContextWithOIDC, deps: IssuanceDependencies): Promise<DeviceClaims | null> {
  const state = ctx.state as WithDeviceClaims;
  if (state[STATE] !== undefined) return state[STATE];
  let claims: DeviceClaims | null = null;
  if (ctx.oidc.route === 'token' && ctx.oidc.client && clientSettings(ctx.oidc.client).native_sso) {
    const { AuthorizationCode: code, RefreshToken: refreshToken } = ctx.oidc.entities as { AuthorizationCode?: AuthorizationCode; RefreshToken?: RefreshToken };
    if (ctx.oidc.params?.grant_type === 'authorization_code' && code) claims = await start(ctx, deps, code);
    else if (ctx.oidc.params?.grant_type === 'refresh_token' && refreshToken) claims = await refreshed(ctx, deps, refreshToken);
  }
  state[STATE] = claims;
  return claims;
}

/**
 * The host's `findAccount`, its accounts' ID token claims extended with `sid` and `ds_hash` when
 * the token endpoint issues an ID token with `device_sso` to a Native SSO app.
 */
export function withDeviceClaims(findAccount: FindAccount, deps: IssuanceDependencies): FindAccount {
  return async (ctx, sub, token) => {
    const account = await findAccount(ctx, sub, token);
    if (!account) return account;
    const claims: Account['claims'] = async (use, scope, ...rest) => {
      const own = await account.claims(use, scope, ...rest);
      if (use !== 'id_token' || !scope.split(' ').includes(DEVICE_SSO_SCOPE)) return own;
      const device = await deviceClaims(ctx, deps);
      return device ? { ...own, sid: device.id, ds_hash: device.dsHash } : own;
    };
    // The host's account stays the prototype: its own methods and fields are still there.
    return Object.create(account, { claims: { value: claims } }) as Account;
  };
}

/**
 * Middleware: a token response whose ID token carries a new device secret's `ds_hash` returns
 * that secret (`device_secret`, §3.4); the two are issued together or not at all.
 */
export function deviceSecretResponse() {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'token') return;
    const claims = (ctx.state as WithDeviceClaims)[STATE];
    const body = ctx.body as Record<string, unknown> | undefined;
    if (claims?.secret && typeof body?.id_token === 'string') ctx.body = { ...body, device_secret: claims.secret };
  };
}

import type { AuthenticationMethod } from '../client-metadata.js';
import { callWithDeadline } from '../hook-deadline.js';
import type { TransferRecord } from '../store/store.js';

/**
 * What the redeem hook is told: the token's issuing side and the redeeming request, also in the
 * shape of Auth0's post-login Action event (`session_transfer_token`, `session`).
 * @category Redeem hook
 */
export interface RedeemHookContext {
  /** As Auth0's `event.session_transfer_token`: the minting client, the token's scope, the minting request. */
  session_transfer_token: {
    client_id: string;
    scope: string[];
    request: { ip: string; asn?: number; user_agent?: string };
  };
  /**
   * As Auth0's `event.session`: `session_transfer.parent_refresh_token` (a native mint: the
   * refresh token's id, never the token, and the metadata `refreshTokenMetadata` set on it) and,
   * for a delegated token, `actor`.
   */
  session: {
    session_transfer: { parent_refresh_token?: { id: string; metadata: Record<string, string> } };
    actor?: { sub: string };
  };
  /** A delegated token's actor (Session Delegation): `sub` of the agent who minted it. */
  actor?: { sub: string };
  /** The native side, as recorded when the token was minted. */
  transfer: {
    clientId: string;
    accountId: string;
    scope: string;
    ip: string;
    asn?: number;
    userAgent?: string;
    /** Seconds since the epoch. */
    issuedAt: number;
    /** The native login's `auth_time`, `amr` and `acr`. */
    authTime?: number;
    amr?: string[];
    acr?: string;
  };
  /** The web client's authorization request redeeming it. */
  request: {
    clientId: string;
    ip: string;
    asn?: number;
    userAgent?: string;
    transport: AuthenticationMethod;
  };
}

/**
 * What the hook decides; returning nothing lets the transfer go ahead unchanged.
 * @category Redeem hook
 */
export interface RedeemHookResult {
  /** Refuse the transfer (reason `denied`): the user gets the login prompt. */
  deny?: boolean;
  /** Absolute lifetime of the new session in seconds, if shorter than the provider's. */
  sessionLifetime?: number;
  /** Idle lifetime of the new session in seconds: it ends when unused this long. */
  sessionIdleLifetime?: number;
  /**
   * Claims added to the ID tokens of the new session (Auth0's `api.idToken.setCustomClaim`),
   * JSON values. oidc-provider releases a claim only where its `claims` configuration lists it
   * (under a scope the request has); registered and session claims (`sub`, `iss`, `aud`, `exp`,
   * `iat`, `auth_time`, `nonce`, `acr`, `amr`, `sid`, `act`, `azp`, hashes) cannot be set: the
   * hook then denies.
   */
  idTokenClaims?: Record<string, unknown>;
}

/**
 * The counterpart of Auth0's post-login Action for transfers.
 * @category Redeem hook
 */
export type RedeemHook = (context: RedeemHookContext) => RedeemHookResult | void | Promise<RedeemHookResult | void>;

const positive = (value: unknown) => value === undefined || (Number.isInteger(value) && (value as number) > 0);

/** Claims a hook cannot set: the ones that say who, when, for whom and how. */
const PROTECTED_CLAIMS = new Set(['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'sid', 'act', 'azp', 'at_hash', 'c_hash', 's_hash']);

function claimsValid(claims: unknown): boolean {
  if (claims === undefined) return true;
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return false;
  if (Object.keys(claims).some((name) => PROTECTED_CLAIMS.has(name))) return false;
  try {
    JSON.stringify(claims);
    return true;
  } catch {
    return false;
  }
}

/** Auth0's shape of a token's context, for hosts migrating their Actions. */
export function auth0Context(record: TransferRecord): Pick<RedeemHookContext, 'session_transfer_token' | 'session'> {
  return {
    session_transfer_token: {
      client_id: record.clientId,
      scope: record.scope ? record.scope.split(' ') : [],
      request: {
        ip: record.ip,
        ...(record.asn === undefined ? {} : { asn: record.asn }),
        ...(record.userAgent === undefined ? {} : { user_agent: record.userAgent }),
      },
    },
    session: {
      session_transfer: record.parentRefreshToken
        ? { parent_refresh_token: { id: record.parentRefreshToken.id, metadata: { ...record.parentRefreshToken.metadata } } }
        : {},
      ...(record.actor === undefined ? {} : { actor: { sub: record.actor } }),
    },
  };
}

/**
 * Runs the hook with a deadline. A hook that throws, times out or answers something malformed
 * denies: a transfer goes ahead only on a clear yes.
 */
export async function runRedeemHook(
  hook: RedeemHook | undefined,
  context: RedeemHookContext,
  timeout: number,
): Promise<RedeemHookResult> {
  if (!hook) return {};
  try {
    const result = await callWithDeadline(() => hook(context), timeout, 'redeem hook');
    if (result === undefined || result === null) return {};
    if (typeof result !== 'object' || !positive(result.sessionLifetime) || !positive(result.sessionIdleLifetime) || !claimsValid(result.idTokenClaims)) {
      return { deny: true };
    }
    return result;
  } catch {
    return { deny: true };
  }
}

import type { AuthenticationMethod } from '../client-metadata.js';

/**
 * What the redeem hook is told: the token's issuing side and the redeeming request.
 * @category Redeem hook
 */
export interface RedeemHookContext {
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
}

/**
 * The counterpart of Auth0's post-login Action for transfers.
 * @category Redeem hook
 */
export type RedeemHook = (context: RedeemHookContext) => RedeemHookResult | void | Promise<RedeemHookResult | void>;

const positive = (value: unknown) => value === undefined || (Number.isInteger(value) && (value as number) > 0);

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
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => hook(context)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redeem hook did not answer within ${timeout} ms`)), timeout);
      }),
    ]);
    if (result === undefined || result === null) return {};
    if (typeof result !== 'object' || !positive(result.sessionLifetime) || !positive(result.sessionIdleLifetime)) {
      return { deny: true };
    }
    return result;
  } catch {
    return { deny: true };
  } finally {
    clearTimeout(timer);
  }
}

import { errors } from 'oidc-provider';

import { debug } from '../debug.js';
import { StoreUnavailableError } from '../errors.js';
import type { IssueFailureReason, NativeSsoRefusal } from '../events.js';

const REASON = Symbol('sessionTransferReason');

type Reason = IssueFailureReason | NativeSsoRefusal;
type Tagged = Error & { [REASON]?: Reason };

/** Tags an oidc-provider error with the reason the `issue_failed` (or `native_sso`) event reports. */
export function refuse<E extends Error>(reason: Reason, error: E): E {
  (error as Tagged)[REASON] = reason;
  return error;
}

/** RFC 6749's `invalid_request`, reported with `reason` (by default `invalid_request`). */
export function invalidRequest(description: string, reason: Reason = 'invalid_request'): InstanceType<typeof errors.InvalidRequest> {
  return refuse(reason, new errors.InvalidRequest(description));
}

export function reasonOf<R extends Reason = IssueFailureReason>(error: unknown): R | 'server_error' {
  return ((error as Tagged | undefined)?.[REASON] as R | undefined) ?? 'server_error';
}

/**
 * A store that cannot answer refuses the request (`what`: the mint, Native SSO) with 503
 * `server_error`: nothing was issued. Other errors pass unchanged.
 */
export function storeRefusal(err: unknown, what: string): unknown {
  if (!(err instanceof StoreUnavailableError)) return err;
  debug('%s refused, store unavailable: %s', what, err.message);
  const unavailable = new errors.CustomOIDCProviderError('server_error', `${what} is temporarily unavailable`);
  Object.assign(unavailable, { status: 503, statusCode: 503 });
  return refuse('store_unavailable', unavailable);
}

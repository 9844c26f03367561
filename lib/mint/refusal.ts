import type { IssueFailureReason, NativeSsoRefusal } from '../events.js';

const REASON = Symbol('sessionTransferReason');

type Reason = IssueFailureReason | NativeSsoRefusal;
type Tagged = Error & { [REASON]?: Reason };

/** Tags an oidc-provider error with the reason the `issue_failed` (or `native_sso`) event reports. */
export function refuse<E extends Error>(reason: Reason, error: E): E {
  (error as Tagged)[REASON] = reason;
  return error;
}

export function reasonOf<R extends Reason = IssueFailureReason>(error: unknown): R | 'server_error' {
  return ((error as Tagged | undefined)?.[REASON] as R | undefined) ?? 'server_error';
}

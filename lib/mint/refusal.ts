import type { IssueFailureReason } from '../events.js';

const REASON = Symbol('sessionTransferReason');

type Tagged = Error & { [REASON]?: IssueFailureReason };

/** Tags an oidc-provider error with the reason the `issue_failed` event reports. */
export function refuse<E extends Error>(reason: IssueFailureReason, error: E): E {
  (error as Tagged)[REASON] = reason;
  return error;
}

export function reasonOf(error: unknown): IssueFailureReason {
  return (error as Tagged | undefined)?.[REASON] ?? 'server_error';
}

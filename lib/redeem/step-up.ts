import type { KoaContextWithOIDC } from 'oidc-provider';

import { DELEGATION_AMR, TRANSFER_AMR } from '../options.js';

/**
 * The login prompt's reasons (oidc-provider's base policy) that ask for more than a session
 * proves: an authentication younger than `max_age`, an essential `acr` claim (one value or one of
 * several). A plain `acr_values` is not among them: oidc-provider treats it as voluntary (OpenID
 * Connect Core 3.1.2.1) and prompts for nothing, so a transfer answers it with the native acr.
 * @category Setup
 */
export const STEP_UP_REASONS: readonly string[] = ['max_age', 'essential_acr', 'essential_acrs'];

/**
 * A login prompt that asks the user of a transferred session for more assurance.
 * @category Setup
 */
export interface TransferStepUp {
  /** The transfer's user: the only account oidc-provider lets this login sign in. */
  accountId: string;
  /** What the request asks for that the session does not prove, among `STEP_UP_REASONS`. */
  reasons: string[];
}

/**
 * What `pendingStepUp()` reads of what `provider.interactionDetails()` returned.
 * @category Setup
 */
export interface StepUpInteraction {
  prompt: { name: string; reasons: string[] };
  session?: { accountId?: string; amr?: string[] } | undefined;
}

/**
 * The step-up an interaction asks for over a session that came from a transfer: whose it is and
 * why. Undefined when the interaction is not one (no such session, or a login for another reason).
 * Pass what `provider.interactionDetails()` returned. The account is fixed: oidc-provider answers
 * a login of another account with a logout confirmation, never with a sign-in over this session.
 */
export function stepUpIn({ prompt, session }: StepUpInteraction): TransferStepUp | undefined {
  if (prompt.name !== 'login' || !session?.accountId || !session.amr?.includes(TRANSFER_AMR)) return undefined;
  const reasons = prompt.reasons.filter((reason) => STEP_UP_REASONS.includes(reason));
  return reasons.length ? { accountId: session.accountId, reasons } : undefined;
}

/**
 * At an interaction's resume, a login of the same account over a session that came from a
 * transfer (a step-up) replaced its `amr` with the host's. The marker goes back beside the host's
 * values (its acr and auth_time stay), so the session stays in the transfer's lineage: the
 * cascade still ends it, its web grants are recorded, and the web client's refresh-token rules
 * and the session's idle and absolute lifetimes still apply. The upkeep that follows reads its
 * record as for any transferred session: a record gone ends the session, so a step-up revives
 * nothing. A session the interaction did not start with (another account's login after a
 * logout, which gives the session a new `uid`) is left as the host signed it in.
 */
export function keepTransferMark(ctx: KoaContextWithOIDC): void {
  const before = ctx.oidc.entities.Interaction?.session;
  const session = ctx.oidc.session!;
  const login = ctx.oidc.result?.login;
  const stepUp = login && before?.amr?.includes(TRANSFER_AMR) && before.uid === session.uid
    && before.accountId === session.accountId && login.accountId === session.accountId;
  // Both markers a transfer sets (a delegated session never prompts, but is never unmarked either).
  const lost = stepUp ? [TRANSFER_AMR, DELEGATION_AMR].filter((mark) => before!.amr!.includes(mark) && !session.amr?.includes(mark)) : [];
  if (lost.length) session.amr = [...(session.amr ?? []), ...lost];
}

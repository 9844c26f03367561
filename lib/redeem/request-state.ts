import type { KoaContextWithOIDC } from 'oidc-provider';

import { TRANSFER_AMR } from '../options.js';
import type { TransferredSession } from '../store/store.js';

/** A login made from a token, for the configuration hooks that run after it. */
export interface TransferredLogin {
  /** The token's scope: what a first-party client gets without a consent screen. */
  scope: string;
  /** Absolute session lifetime in seconds the redeem hook asked for. */
  sessionLifetime?: number;
  /** The session's record as stored (lineage). */
  session: TransferredSession;
}

/** What signs the browser in once the user confirms a transfer (`confirm_query_transfers`). */
export interface PendingConfirmation extends TransferredLogin {
  /** The web client the transfer is for. */
  clientId: string;
  /** The login oidc-provider makes on confirmation: the native user, its `auth_time`, `amr`, `acr`. */
  login: { accountId: string; ts: number; amr: string[]; acr?: string };
  /** The token's parent grant, issue and expiry times (seconds): checked again on confirmation. */
  parent: { grantId: string; iat: number; exp: number };
  /** The new session's lifetime in seconds, for its record and its place in the lineage. */
  lifetime: number;
}

/** The key of a pending confirmation in the login prompt's details (kept with the interaction). */
export const CONFIRMATION_DETAILS = 'sessionTransfer';

/**
 * Per-request state, keyed by the Koa context: the redeem runs inside oidc-provider's pipeline
 * and the hooks that read this (grant, session TTL) run later in the same request.
 */
const logins = new WeakMap<object, TransferredLogin>();
const confirmations = new WeakMap<object, PendingConfirmation>();
const sessions = new WeakMap<object, TransferredSession>();
const forced = new WeakSet<object>();

/** The confirmation this interaction asks for, from its prompt details; undefined when it is none. */
export function confirmationIn(details: Record<string, unknown> | undefined): PendingConfirmation | undefined {
  const pending = details?.[CONFIRMATION_DETAILS] as PendingConfirmation | undefined;
  return typeof pending?.login?.accountId === 'string' ? pending : undefined;
}

/**
 * A confirmed transfer, in the request that resumes its interaction: the login there is the
 * transfer's (its account, and the transfer's `amr` marker), not a password login after declining.
 */
export function confirmedTransfer(ctx: KoaContextWithOIDC): PendingConfirmation | undefined {
  const interaction = ctx.oidc?.entities?.Interaction as { prompt?: { details?: Record<string, unknown> } } | undefined;
  const pending = confirmationIn(interaction?.prompt?.details);
  const result = ctx.oidc.result as { login?: { accountId?: string; amr?: string[] } } | undefined;
  const matches = pending && result?.login?.accountId === pending.login.accountId && result.login.amr?.includes(TRANSFER_AMR);
  return matches ? pending : undefined;
}

export const transferredLogin = (ctx: KoaContextWithOIDC): TransferredLogin | undefined => logins.get(ctx) ?? confirmedTransfer(ctx);
export const recordTransferredLogin = (ctx: object, login: TransferredLogin): void => void logins.set(ctx, login);

/** This request's transfer waits for the user's confirmation (the login prompt asks for it). */
export const pendingConfirmation = (ctx: object): PendingConfirmation | undefined => confirmations.get(ctx);
export const requireConfirmation = (ctx: object, pending: PendingConfirmation): void => void confirmations.set(ctx, pending);

/** The record of this request's transferred session, once read. */
export const knownTransferredSession = (ctx: KoaContextWithOIDC): TransferredSession | undefined =>
  transferredLogin(ctx)?.session ?? sessions.get(ctx);
export const rememberTransferredSession = (ctx: object, session: TransferredSession): void => void sessions.set(ctx, session);

/** This request revokes a grant because one of its tokens was replayed (the cascade's trigger). */
const replays = new WeakSet<object>();
export const markReplay = (ctx: object): void => void replays.add(ctx);
export const replayRevoked = (ctx: object): boolean => replays.has(ctx);

/** The login prompt must be shown (or `login_required` answered) although a session exists. */
export const forceLogin = (ctx: object): void => void forced.add(ctx);
export const loginForced = (ctx: object): boolean => forced.has(ctx);

import type { TransferredSession, TransferRecord } from '../store/store.js';

/** A login made from a token in this request, for the configuration hooks that run after it. */
export interface TransferredLogin {
  record: TransferRecord;
  /** Absolute session lifetime in seconds the redeem hook asked for. */
  sessionLifetime?: number;
  /** The session's record as stored (lineage). */
  session: TransferredSession;
}

/**
 * Per-request state, keyed by the Koa context: the redeem runs inside oidc-provider's pipeline
 * and the hooks that read this (grant, session TTL) run later in the same request.
 */
const logins = new WeakMap<object, TransferredLogin>();
const sessions = new WeakMap<object, TransferredSession>();
const forced = new WeakSet<object>();

export const transferredLogin = (ctx: object): TransferredLogin | undefined => logins.get(ctx);
export const recordTransferredLogin = (ctx: object, login: TransferredLogin): void => void logins.set(ctx, login);

/** The record of this request's transferred session, once read. */
export const knownTransferredSession = (ctx: object): TransferredSession | undefined =>
  logins.get(ctx)?.session ?? sessions.get(ctx);
export const rememberTransferredSession = (ctx: object, session: TransferredSession): void => void sessions.set(ctx, session);

/** This request revokes a grant because one of its tokens was replayed (the cascade's trigger). */
const replays = new WeakSet<object>();
export const markReplay = (ctx: object): void => void replays.add(ctx);
export const replayRevoked = (ctx: object): boolean => replays.has(ctx);

/** The login prompt must be shown (or `login_required` answered) although a session exists. */
export const forceLogin = (ctx: object): void => void forced.add(ctx);
export const loginForced = (ctx: object): boolean => forced.has(ctx);

import { EventEmitter } from 'node:events';

import { debug } from './debug.js';

/**
 * Who asked, as the library saw it. Never contains a token.
 * @category Events
 */
export interface RequestContext {
  /** Client IP (see the `trustProxy` option). */
  ip: string;
  /** ASN of `ip`, when an `asnResolver` is configured and knows it. */
  asn?: number;
  userAgent?: string;
}

/**
 * The actor of a delegated token or session (Session Delegation): `sub` of the ID token the
 * minting client presented, as in the `act` claim (RFC 8693 §4.1).
 * @category Events
 */
export interface ActorContext {
  sub: string;
}

/**
 * A Session Transfer Token was minted (Auth0 log type `sertft`).
 * @category Events
 */
export interface IssuedEvent extends RequestContext {
  type: 'issued';
  /** Auth0's log event type. */
  logCode: 'sertft';
  /** The native client that minted it. */
  clientId: string;
  accountId: string;
  /** The parent grant (the native refresh token's). */
  grantId: string;
  /** Web clients allowed to redeem it, when the request named any. */
  audience?: string[];
  /**
   * Which request form was used: a `refresh_token` grant (Auth0's), a token exchange of a refresh
   * token, a delegated token exchange (Session Delegation; `grantId` is then the actor's grant), or
   * a token exchange of an ID token and device secret (Native SSO; `grantId` is `device:<id>`).
   */
  form: 'refresh_token' | 'token_exchange' | 'delegation' | 'device_secret';
  /** A delegated token's actor. */
  actor?: ActorContext;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

/**
 * Why a mint was refused; each maps to one OAuth error.
 * @category Events
 */
export type IssueFailureReason =
  /** `invalid_request`: malformed input, wrong or missing token types. */
  | 'invalid_request'
  /** `unauthorized_client`: the client lacks `can_create_session_transfer_token`. */
  | 'client_not_allowed'
  /** `invalid_grant`: the refresh token is unknown, of another client, expired or its grant is gone. */
  | 'refresh_token_invalid'
  /** `invalid_grant`: a rotated refresh token was used again; its grant was revoked. */
  | 'refresh_token_reused'
  /**
   * `invalid_grant`: the refresh token is bound to a DPoP key the request did not prove, or bound
   * by mTLS or a client attestation (those cannot be exchanged).
   */
  | 'sender_constrained'
  /** `invalid_dpop_proof` (or `invalid_grant` for a replayed proof): the DPoP proof is not valid. */
  | 'dpop_proof_invalid'
  /** `use_dpop_nonce`: the proof needs the server nonce sent in the `DPoP-Nonce` header. */
  | 'dpop_nonce_required'
  /** `invalid_grant`: the refresh token was born from a transfer (nested transfer). */
  | 'nested_transfer'
  /** `invalid_scope`: more scope than the refresh token carries. */
  | 'invalid_scope'
  /** `invalid_target`: `audience` / `resource` names no client that accepts transfers. */
  | 'invalid_target'
  /** `too_many_requests` (429): the grant minted `maxTokensPerGrant` tokens within one token lifetime. */
  | 'too_many_tokens'
  /** `server_error` (503): the token store is unavailable; nothing was issued. */
  | 'store_unavailable'
  /**
   * `session_transfer_disabled` (Auth0's error): a delegated request from a client not allowed to
   * delegate, or of a subject token type no profile accepts.
   */
  | 'delegation_not_allowed'
  /** `setactor_required` (Auth0's error): a delegated request without an actor token. */
  | 'actor_required'
  /** `invalid_grant`: the actor token is not a current ID token of a live grant of the client. */
  | 'actor_invalid'
  /** `invalid_grant`: the host's `delegation.resolveSubject` refused the subject token. */
  | 'subject_refused'
  /**
   * `invalid_request` or `invalid_grant`: a mint from a device secret (Native SSO) whose ID token
   * and device secret fail the exchange's checks; the description says which.
   */
  | 'device_secret_invalid'
  /** `server_error`: anything unexpected; nothing was issued. */
  | 'server_error';

/**
 * A mint was refused (Auth0 log type `fertft`).
 * @category Events
 */
export interface IssueFailedEvent extends RequestContext {
  type: 'issue_failed';
  /** Auth0's log event type. */
  logCode: 'fertft';
  reason: IssueFailureReason;
  /** The OAuth `error` answered to the client. */
  error: string;
  clientId: string;
  /** Known once the refresh token was found (or, delegated, the subject). */
  accountId?: string;
  grantId?: string;
  actor?: ActorContext;
}

/**
 * Why a presented token did not sign the browser in (Auth0's `w` log warnings).
 * @category Events
 */
export type RejectionReason =
  /** Unknown, or expired. */
  | 'not_found_or_expired'
  /** Used already, and presented again within its lifetime: it leaked, or was sent twice. */
  | 'replayed'
  /** The native refresh token's grant was revoked between mint and redeem. */
  | 'parent_revoked'
  /** The redeeming device is not the minting one under the web client's binding rule. */
  | 'device_mismatch'
  /** The token names web clients and this is not one of them. */
  | 'client_mismatch'
  /**
   * The trust map refuses this handover: this client is not in the minting client's
   * `session_transfer.transfer_to`, or the minting client is not in this one's `accept_from`.
   */
  | 'not_trusted'
  /** The browser already has a session of another user (that session is ended). */
  | 'user_mismatch'
  /** The redeem hook denied, threw or timed out. */
  | 'denied'
  /** The native grant has `maxLineagePerGrant` live sessions and web grants already. */
  | 'lineage_full'
  /** The token store is unavailable; the token could not be checked. */
  | 'store_unavailable'
  /**
   * A delegated token where the web client does not accept one (`delegation.allow_delegated_access`),
   * or arriving by cookie (delegated tokens come by query only).
   */
  | 'delegation_not_allowed'
  /**
   * A delegated token arrived in a browser that has a session: it signs nothing in and the session
   * is left as it is; the web client gets `interaction_required` (sign out first).
   */
  | 'session_exists'
  /** Something unexpected failed while checking (e.g. the provider's adapter); fail closed. */
  | 'server_error';

/**
 * Auth0's `w` log descriptions, verbatim, of the rejections it describes.
 * @category Events
 */
export const AUTH0_WARNINGS: Readonly<Partial<Record<RejectionReason, string>>> = Object.freeze({
  not_found_or_expired: 'Single Sign-On failed: Session Transfer Token not found or expired. This may indicate token reuse or expiration.',
  replayed: 'Single Sign-On failed: Session Transfer Token not found or expired. This may indicate token reuse or expiration.',
  parent_revoked: 'Single Sign-On failed: Parent refresh token not found. Session Transfer Token won\'t be used for session establishment.',
  device_mismatch: 'Single Sign-On failed: Session Transfer Token device binding validation failed due to IP/ASN mismatch.',
  user_mismatch: 'Single Sign-On failed: Session Transfer Token user mismatch detected.',
});

/** The web side of a redemption: the client that redeems and how the token arrived. */
export interface RedeemContext extends RequestContext {
  /** The web client redeeming the token. */
  clientId: string;
  transport: 'cookie' | 'query';
}

/**
 * A token signed a browser in (Auth0 log type `s` with `triggered_by_session_transfer_token`).
 * @category Events
 */
export interface RedeemedEvent extends RedeemContext {
  type: 'redeemed';
  /**
   * Auth0's log event type: `s` (login) or `ssa` (silent authentication, `prompt=none`); for a
   * delegated token `sdel` or `sdelsa`.
   */
  logCode: 's' | 'ssa' | 'sdel' | 'sdelsa';
  /** As Auth0's `details.triggered_by_session_transfer_token`. */
  triggeredBySessionTransferToken: true;
  /** A delegated token's actor. */
  actor?: ActorContext;
  /** The native client that minted it, the account and the parent grant. */
  issuingClientId: string;
  accountId: string;
  grantId: string;
  /** oidc-provider session uid of the browser session. */
  sessionUid: string;
  /**
   * `new_session` (no session before), `same_user` (the session continues), or
   * `confirmation_required` (the web client's `confirm_query_transfers`: the browser is signed in
   * once the user confirms, through `transfer.confirmTransfer()`).
   */
  outcome: 'new_session' | 'same_user' | 'confirmation_required';
}

/**
 * A presented token was refused; the user gets the login prompt (`login_required` for `prompt=none`).
 * @category Events
 */
export interface RejectedEvent extends RedeemContext {
  type: 'rejected';
  /** Auth0's log event type: `w` (a login warning), or `fdelsa` for a delegated token under `prompt=none`. */
  logCode: 'w' | 'fdelsa';
  reason: RejectionReason;
  /** A delegated token's actor, once the token was found. */
  actor?: ActorContext;
  /** Auth0's warning text for the reasons its logs describe (`AUTH0_WARNINGS`), for log pipelines that match on it. */
  description?: string;
  /** Known when the token was found. */
  issuingClientId?: string;
  accountId?: string;
  grantId?: string;
  /**
   * For `device_mismatch`: the rule and both sides (the minting and the redeeming IP or ASN),
   * with the IPv6 prefix length compared when prefix matching applied.
   */
  binding?: { rule: 'ip' | 'asn'; expected?: string | number; actual?: string | number; prefixLength?: number };
  /**
   * Set for `device_mismatch` under `device_binding_mode: "log_only"`: the mismatch was only
   * reported and the transfer went ahead.
   */
  logOnly?: true;
}

/**
 * Why a token that arrived at the authorization endpoint was left unused (not consumed), or a mint did not happen.
 * @category Events
 */
export type IgnoredReason =
  /** The web client accepts no transfer: its `allowed_authentication_methods` is empty. */
  | 'client_accepts_no_transfers'
  /** It arrived by a transport (cookie or query) the web client does not allow. */
  | 'transport_not_allowed'
  /** The request asks for a fresh login (`prompt=login` or `max_age=0`); a transfer is not one. */
  | 'login_requested'
  /**
   * A cookie whose name looks like the transfer cookie's arrived, but not under `cookieName`
   * (e.g. `session_transfer_token`): nothing reads it. Its value is not looked at.
   */
  | 'cookie_name_mismatch'
  /**
   * A `refresh_token` grant's `audience` looks like a try at the transfer audience (a misspelling
   * of it, the issuer, a client id) but is not it: oidc-provider ran an ordinary refresh.
   */
  | 'audience_near_miss';

/** What a configuration mistake, rather than the request, causes: reported once as a process warning too. */
export const CONFIGURATION_IGNORED: ReadonlySet<IgnoredReason> = new Set([
  'client_accepts_no_transfers', 'transport_not_allowed', 'cookie_name_mismatch', 'audience_near_miss',
]);

/**
 * A token arrived at the authorization endpoint but was not used; it stays valid. `message` names the setting to change.
 * @category Events
 */
export interface IgnoredTokenEvent extends RedeemContext {
  type: 'ignored';
  reason: Exclude<IgnoredReason, 'audience_near_miss'>;
  message: string;
}

/**
 * A `refresh_token` grant that looks meant to mint ran as an ordinary refresh (the refresh token
 * rotated, an access token issued), as oidc-provider answers it. `message` names the audience to send.
 * @category Events
 */
export interface IgnoredAudienceEvent extends RequestContext {
  type: 'ignored';
  reason: 'audience_near_miss';
  /** The `client_id` the request named (not yet authenticated when this is reported), if any. */
  clientId?: string;
  /** The audience sent (at most 100 characters). */
  audience: string;
  message: string;
}

/**
 * Something that looked like a transfer was not one; `reason` tells which and `message` the setting to change.
 * @category Events
 */
export type IgnoredEvent = IgnoredTokenEvent | IgnoredAudienceEvent;

/**
 * A misconfiguration the library noticed at run time.
 * @category Events
 */
export type WarningCode =
  /** The provider serves requests but `attach()` was never called. */
  | 'not_attached'
  /** Express or oidc-provider trusts proxies; the library (`trustProxy`) does not. */
  | 'trust_proxy_mismatch'
  /** `X-Forwarded-For` / `Forwarded` arrived while no proxy is trusted: binding sees the proxy's address. */
  | 'forwarded_header_ignored';

/**
 * Reported once per `SessionTransfer` instance and code, also as a process warning (printed by
 * Node unless warnings are silenced). `message` names the fix.
 * @category Events
 */
export interface WarningEvent {
  type: 'warning';
  code: WarningCode;
  message: string;
}

/**
 * A browser session was ended because of a transfer (case 3: another user's token arrived).
 * @category Events
 */
export interface SessionRevokedEvent extends RequestContext {
  type: 'session_revoked';
  /** The web client whose authorization request ended it. */
  clientId: string;
  /** The account whose session ended, and the grants revoked with it. */
  accountId: string;
  grantIds: string[];
  reason: 'user_mismatch' | 'idle_expired';
}

/**
 * Why a Native SSO exchange was refused (`native_sso` event, outcome `refused`).
 * @category Events
 */
export type NativeSsoRefusal =
  /** The client is not a Native SSO app (`session_transfer.native_sso`). */
  | 'client_not_allowed'
  /** A parameter is missing or wrong (`audience`, `scope`, the token types). */
  | 'invalid_request'
  /** The device session is unknown, expired or ended. */
  | 'device_session_ended'
  /** The device secret is not (or no longer) the device session's. */
  | 'device_secret_invalid'
  /** The ID token is not one this provider signed for a Native SSO app, or its `ds_hash` does not name the presented device secret. */
  | 'id_token_mismatch'
  /** The trust map keeps the ID token's app from handing its session to this client. */
  | 'not_trusted'
  /** The requested scope is more than the device session's sign-in was granted. */
  | 'interaction_required'
  /** The device session already holds `nativeSso.maxApps` apps. */
  | 'too_many_apps'
  | 'store_unavailable'
  | 'server_error';

/**
 * A Native SSO step: a device session started (an app signed in with `device_sso`), an app
 * signed in by exchange, an exchange refused, or a device secret that could not be issued
 * (`degraded`: the store was unavailable; the app signed in without one).
 * @category Events
 */
export interface NativeSsoEvent extends RequestContext {
  type: 'native_sso';
  outcome: 'started' | 'exchanged' | 'refused' | 'degraded';
  clientId: string;
  accountId?: string;
  /** The device session (the `sid` of its ID tokens). */
  deviceSessionId?: string;
  /** The app whose ID token was presented, for an exchange. */
  fromClientId?: string;
  reason?: NativeSsoRefusal;
  /** The OAuth error's description, for a refusal. */
  error?: string;
}

/**
 * What revoked a parent grant, as far as the request shows it.
 * @category Events
 */
export type CascadeTrigger =
  /** The revocation endpoint. */
  | 'revocation'
  /** A used refresh token was presented again at the token endpoint. */
  | 'refresh_token_reuse'
  /** Logout at the end-session endpoint. */
  | 'logout'
  /** `transfer.revokeGrant()`. */
  | 'api'
  /** One of its tokens was replayed, with `onReplay: "revoke_grant"`. */
  | 'token_replayed'
  /** The grant was destroyed some other way (expiry, the host's own code). */
  | 'grant_destroyed'
  /**
   * A device session ended (Native SSO: its device secret revoked, the grant of the sign-in that
   * started it ended, a web logout with `logout_native`, or `transfer.endDeviceSession()`):
   * `grantId` is `device:<id>`, and each app's own cascade reports this trigger too.
   */
  | 'device_logout';

/**
 * A parent grant ended and, with `enforce_cascade_revocation`, what it spawned ended too.
 * @category Events
 */
export interface CascadeRevokedEvent {
  type: 'cascade_revoked';
  /** The parent (native) grant. */
  grantId: string;
  trigger: CascadeTrigger;
  /** Browser sessions ended and web grants revoked (with their codes and tokens). */
  sessions: number;
  grants: number;
}

/**
 * A cascade could not complete; it is retried while `willRetry`.
 * @category Events
 */
export interface CascadeFailedEvent {
  type: 'cascade_failed';
  grantId: string;
  trigger: CascadeTrigger;
  attempt: number;
  willRetry: boolean;
  error: string;
}

/**
 * A web client exchanged a code issued in a delegated session (Auth0's `sdeleacft`), or the
 * exchange failed (`fdeleacft`, with the OAuth `error`).
 * @category Events
 */
export interface DelegatedCodeExchangeEvent {
  type: 'delegated_code_exchange';
  logCode: 'sdeleacft' | 'fdeleacft';
  /** The web client, the subject and the grant of the delegated session. */
  clientId: string;
  accountId: string;
  grantId: string;
  /** The actor, as the access token's `act` names it (on success). */
  actor?: ActorContext;
  error?: string;
}

/** @category Events */
export interface SessionTransferEvents {
  issued: [IssuedEvent];
  issue_failed: [IssueFailedEvent];
  redeemed: [RedeemedEvent];
  rejected: [RejectedEvent];
  ignored: [IgnoredEvent];
  warning: [WarningEvent];
  session_revoked: [SessionRevokedEvent];
  cascade_revoked: [CascadeRevokedEvent];
  cascade_failed: [CascadeFailedEvent];
  delegated_code_exchange: [DelegatedCodeExchangeEvent];
  native_sso: [NativeSsoEvent];
}

/** What parts of the library need to report a misconfiguration. */
export interface Diagnostics {
  warnOnce(code: WarningCode, message: string): void;
}

/**
 * A listener of event `K` (of any of the events, given a union of names).
 * @category Events
 */
export type SessionTransferListener<K extends keyof SessionTransferEvents> = (...args: SessionTransferEvents[K]) => void;

/**
 * The library's typed events. Each is also a `debug` line (they carry no token by construction).
 * A listener that throws is reported through `debug` and never breaks the request that caused the
 * event. Not an `EventEmitter` subclass: its methods are typed from `SessionTransferEvents` alone
 * (a union of names gives the union of their events), whatever version of `@types/node` the
 * application uses.
 * @category Events
 */
export class SessionTransferEmitter implements Diagnostics {
  readonly #emitter = new EventEmitter();
  readonly #warned = new Set<string>();

  /** Calls `listener` with every event `name` (or any of the names, given a union). */
  on<K extends keyof SessionTransferEvents>(name: K, listener: SessionTransferListener<K>): this {
    this.#emitter.on(name, listener);
    return this;
  }

  /** Calls `listener` with the next event `name` only. */
  once<K extends keyof SessionTransferEvents>(name: K, listener: SessionTransferListener<K>): this {
    this.#emitter.once(name, listener);
    return this;
  }

  /** Removes a listener added with `on()` or `once()`. */
  off<K extends keyof SessionTransferEvents>(name: K, listener: SessionTransferListener<K>): this {
    this.#emitter.off(name, listener);
    return this;
  }

  /** How many listeners event `name` has. */
  listenerCount(name: keyof SessionTransferEvents): number {
    return this.#emitter.listenerCount(name);
  }

  /** Reports a misconfiguration once: event `warning`, a debug line and a process warning. */
  warnOnce(code: WarningCode, message: string): void {
    if (!this.#once(code)) return;
    this.report('warning', { type: 'warning', code, message });
    process.emitWarning(`oidc-session-transfer: ${message}`, { code: `OIDC_SESSION_TRANSFER_${code.toUpperCase()}` });
  }

  /**
   * Reports an `ignored` event; the first of each reason a configuration mistake causes is also a
   * process warning, so an operator who listens to nothing still sees it once.
   * @internal
   */
  reportIgnored(event: IgnoredEvent): void {
    this.report('ignored', event);
    if (!CONFIGURATION_IGNORED.has(event.reason) || !this.#once(`ignored:${event.reason}`)) return;
    process.emitWarning(`oidc-session-transfer: ${event.message} (reported once; each occurrence is an "ignored" event)`,
      { code: `OIDC_SESSION_TRANSFER_IGNORED_${event.reason.toUpperCase()}` });
  }

  /** True the first time `key` is seen by this instance. */
  #once(key: string): boolean {
    if (this.#warned.has(key)) return false;
    this.#warned.add(key);
    return true;
  }

  /**
   * Emits an event as the library does: a debug line, and a listener's throw kept from the request.
   * @internal
   */
  report<K extends keyof SessionTransferEvents>(name: K, ...args: SessionTransferEvents[K]): boolean {
    debug('%s %o', name, args[0]);
    try {
      return this.#emitter.emit(name, ...args);
    } catch (err) {
      debug('listener for %s threw: %O', name, err);
      return true;
    }
  }
}

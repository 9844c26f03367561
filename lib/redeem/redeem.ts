import { errors, type Client, type KoaContextWithOIDC, type Provider, type Session } from 'oidc-provider';

import { asnOf } from '../binding/asn.js';
import { clientIp, userAgentOf } from '../binding/client-ip.js';
import { normalizeIp } from '../binding/ip.js';
import { compareDevice, strongerBinding, type BindingOutcome } from '../binding/device-binding.js';
import { clientSettings, type ClientSessionTransfer, type DeviceBinding } from '../client-metadata.js';
import { debug } from '../debug.js';
import { StoreUnavailableError } from '../errors.js';
import {
  AUTH0_WARNINGS, type RedeemContext, type RedeemedEvent, type RejectedEvent, type RejectionReason, type RequestContext, type SessionTransferEmitter,
} from '../events.js';
import { DELEGATION_AMR, TOKEN_PARAM, TRANSFER_AMR, type ResolvedOptions } from '../options.js';
import type { ProviderHooks } from '../provider-hooks.js';
import { endSession } from '../revocation/end-session.js';
import { revokeGrant } from '../revocation/revoke-grant.js';
import type { TransferredSession, TransferRecord, TransferStore } from '../store/store.js';
import type { Instrumentation, Operation } from '../telemetry/telemetry.js';
import { untrusted } from '../trust/trust-map.js';
import { auth0Context, runRedeemHook } from './hook.js';
import {
  confirmedTransfer, forceLogin, markReplay, recordTransferredLogin, rememberTransferredSession, requireConfirmation,
} from './request-state.js';
import { clearTokenCookie, ignoredMessage, presentedToken, pushedValue, type PresentedToken } from './transport.js';

export interface RedeemDependencies {
  hooks: ProviderHooks;
  options: ResolvedOptions;
  store: TransferStore;
  events: SessionTransferEmitter;
  telemetry: Instrumentation;
}

type Known = Pick<RejectedEvent, 'issuingClientId' | 'accountId' | 'grantId' | 'binding' | 'actor'>;

/** Thrown inside the redeem to stop at the first failed check. */
class Rejection extends Error {
  readonly reason: RejectionReason;
  readonly known: Known;

  constructor(reason: RejectionReason, knownFields: Known = {}) {
    super(reason);
    this.reason = reason;
    this.known = knownFields;
  }
}

/** A store call whose failure to answer refuses the token (`store_unavailable`, fail closed). */
async function fromStore<T>(call: Promise<T>, knownFields: Known = {}): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    throw new Rejection('store_unavailable', knownFields);
  }
}

const isTransferred = (session: Session) => Boolean(session.accountId && session.amr?.includes(TRANSFER_AMR));
const known = (record: TransferRecord): Known => ({
  issuingClientId: record.clientId, accountId: record.accountId, grantId: record.grantId,
  ...(record.actor === undefined ? {} : { actor: { sub: record.actor } }),
});

/** Auth0's log event type of a redeem: a (delegated) login, or silent authentication under `prompt=none`. */
const redeemedLogCode = (delegated: boolean, silent: boolean): RedeemedEvent['logCode'] =>
  (delegated ? (silent ? 'sdelsa' : 'sdel') : (silent ? 'ssa' : 's'));

function deviceMismatch(record: TransferRecord, failed: BindingOutcome): Rejection {
  const sides = { rule: failed.rule as 'ip' | 'asn', expected: failed.expected, actual: failed.actual, prefixLength: failed.prefixLength };
  return new Rejection('device_mismatch', { ...known(record), binding: sides });
}

/**
 * The redeem, run by oidc-provider as the `session_transfer_token` parameter's validator: after
 * the session, client and prompt are known and before the account, grant and interaction
 * checks, so a valid token makes the login those checks see, in the same request.
 */
export function createRedeem({ hooks, options, store, events, telemetry }: RedeemDependencies) {
  const { cookieName } = options;
  /** Requests in which a confirmed transfer was completed already. */
  const completed = new WeakSet<object>();

  /** A `rejected` event: Auth0's `w` log (with its description) unless told otherwise. */
  function reportRejected(err: Rejection, web: RedeemContext, extra: Partial<Pick<RejectedEvent, 'logCode' | 'logOnly'>> = {}): void {
    const description = AUTH0_WARNINGS[err.reason];
    events.report('rejected', {
      type: 'rejected', logCode: 'w', reason: err.reason, ...web, ...err.known, ...(description ? { description } : {}), ...extra,
    });
  }

  async function requestContext(ctx: KoaContextWithOIDC): Promise<RequestContext> {
    const ip = clientIp(ctx, options.trustProxy, events);
    const asn = await asnOf(options.asnResolver, ip);
    return { ip, ...(asn !== undefined ? { asn } : {}), userAgent: userAgentOf(ctx) };
  }

  /**
   * A session created from a transfer lives while its record does: the record carries the idle
   * lifetime the redeem hook set. Once it is gone the session ends; if the store cannot be asked,
   * the login prompt is forced (fail closed) but the session is kept. True when it ended.
   */
  async function upkeep(ctx: KoaContextWithOIDC, provider: Provider, session: Session, client: Client): Promise<boolean> {
    if (!isTransferred(session)) return false;
    // A delegated session never prompts, in any request: what would prompt (consent to more
    // scopes, a login, a step-up) is an error to the web client instead.
    if (session.amr!.includes(DELEGATION_AMR)) {
      if ([...ctx.oidc.prompts].some((prompt) => prompt !== 'none')) {
        throw new errors.InteractionRequired('a delegated session never prompts (prompt, or max_age=0, asked for one)');
      }
      ctx.oidc.params!.prompt = 'none';
    }
    let record: TransferredSession | undefined;
    try {
      record = await store.touchSession(session.uid);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      forceLogin(ctx);
      return false;
    }
    if (record) {
      // A delegated session is the agent's view of one web app: it signs in nowhere else.
      if (record.actor !== undefined && record.target !== client.clientId) {
        throw new errors.AccessDenied('a delegated session is valid only at the client it was opened for');
      }
      rememberTransferredSession(ctx, record);
      return false;
    }
    const accountId = session.accountId!;
    const grantIds = await endSession(provider, ctx, session);
    events.report('session_revoked', {
      type: 'session_revoked', clientId: client.clientId, accountId, grantIds, reason: 'idle_expired', ...(await requestContext(ctx)),
    });
    return true;
  }

  /**
   * Whether the token's parent fell since the token was minted: its grant ended, or its refresh
   * token was revoked while a `revokeGrantPolicy` kept the grant. Either way the cascade left its
   * mark (`endLineage`), whatever way oidc-provider ended it.
   */
  async function parentRevoked(marks: TransferStore, parent: Pick<TransferRecord, 'grantId' | 'iat'>, knownFields: Known): Promise<boolean> {
    const at = await fromStore(marks.transfersRevokedAt(parent.grantId), knownFields);
    return at !== undefined && parent.iat <= at;
  }

  /**
   * Records a session about to be signed in from a transfer: its record (idle lifetime, cascade)
   * and its place in the parent grant's lineage, both before the login, so a session that exists is
   * always found by the cascade. The lineage write itself refuses a parent that fell (atomically
   * with the cascade's reading of the lineage, however long the hook took); without a lineage the
   * parent's mark is read beside the record. Throws a Rejection, leaving no record behind.
   */
  async function recordSession(
    sessions: TransferStore,
    uid: string,
    parent: Pick<TransferRecord, 'grantId' | 'iat'>,
    transferred: TransferredSession,
    lifetime: number,
    knownFields: Known,
  ): Promise<void> {
    const [added, revoked] = await Promise.all([
      fromStore(sessions.saveSession(uid, transferred, lifetime, transferred.cascade ? { max: options.maxLineagePerGrant, mintedAt: parent.iat } : undefined), knownFields),
      transferred.cascade ? false : parentRevoked(sessions, parent, knownFields),
    ]);
    // A refused lineage keeps no record; one written beside the mark's read is withdrawn.
    if (revoked) await sessions.deleteSessions([uid]).catch(() => undefined);
    if (added === 'full' || added === 'revoked' || revoked) throw new Rejection(added === 'full' ? 'lineage_full' : 'parent_revoked', knownFields);
  }

  /**
   * In the request that resumes a confirmed transfer (`confirm_query_transfers`): the user is
   * signed in as the transfer's account now, so its session is recorded now, after looking again
   * at the token's expiry and parent — the confirmation may come long after the redeem. If that
   * fails, the session ends and the login prompt is shown. False then.
   */
  async function completeConfirmation(ctx: KoaContextWithOIDC): Promise<boolean> {
    const pending = confirmedTransfer(ctx);
    if (!pending || completed.has(ctx)) return true;
    completed.add(ctx);
    const { provider } = ctx.oidc;
    const session = ctx.oidc.session!;
    const knownFields = { issuingClientId: pending.session.clientId, accountId: pending.login.accountId, grantId: pending.parent.grantId };
    try {
      if (pending.parent.exp * 1000 <= options.clock()) throw new Rejection('not_found_or_expired', knownFields);
      await recordSession(store, session.uid, pending.parent, pending.session, pending.lifetime, knownFields);
      return true;
    } catch (caught) {
      if (!(caught instanceof Rejection)) debug('confirming a session transfer failed: %O', caught);
      const err = caught instanceof Rejection ? caught : new Rejection('server_error', knownFields);
      reportRejected(err, { clientId: pending.clientId, transport: 'query', ...(await requestContext(ctx)) });
      await endSession(provider, ctx, session);
      forceLogin(ctx);
      return false;
    }
  }

  /**
   * Whether a replay comes from the device that used the token, judged as the web client's binding
   * judges devices (127.0.0.1 and ::1 are one, an IPv6 prefix, an ASN), but never looser than the
   * address: a client that binds nothing still has a leaked token's replay told from a reload.
   */
  async function sameDevice(settings: ClientSessionTransfer, usedBy: string, ip: string): Promise<boolean> {
    const rule = settings.enforce_device_binding === 'asn' ? 'asn' : 'ip';
    const first = { ip: usedBy, asn: rule === 'asn' ? await asnOf(options.asnResolver, normalizeIp(usedBy)) : undefined };
    return (await compareDevice({ enforce_device_binding: rule, ipv6_prefix_length: settings.ipv6_prefix_length }, first, ip, options.asnResolver)).ok;
  }

  /**
   * A delegated token (Session Delegation), as Auth0 holds it: only where the web client opted in
   * (`delegation.allow_delegated_access`), only by query (the link the agent opens), and bound to
   * the exact address that asked for it whatever the client's own binding or `log_only` say.
   */
  async function checkDelegated(
    record: TransferRecord, client: Client, settings: ClientSessionTransfer, presented: PresentedToken, request: RequestContext,
  ): Promise<void> {
    if (!settings.delegation.allow_delegated_access || presented.transport !== 'query') throw new Rejection('delegation_not_allowed', known(record));
    const outcome = await compareDevice({ enforce_device_binding: 'ip', ipv6_prefix_length: null }, record, request.ip, options.asnResolver);
    if (!outcome.ok) throw deviceMismatch(record, outcome);
    if (record.audience && !record.audience.includes(client.clientId)) throw new Rejection('client_mismatch', known(record));
  }

  async function check(
    tokens: TransferStore,
    ctx: KoaContextWithOIDC,
    provider: Provider,
    client: Client,
    presented: PresentedToken,
    request: RequestContext,
    web: RedeemContext,
  ): Promise<{ record: TransferRecord; native: Client }> {
    const record = await fromStore(tokens.consume(presented.hash, request.ip));
    const settings = clientSettings(client);
    if (record && 'replayed' in record) {
      // A token presented again from another device leaked: with onReplay "revoke_grant" its
      // parent grant ends, with everything it spawned. From the device that used it first it is a
      // reload, a back button or a cookie left behind, and only reported. A pushed request's token
      // comes back whenever its request_uri is reused while the authorization is pending: whoever
      // saw that URL did not see the token, so it is only reported too.
      if (options.onReplay === 'revoke_grant' && record.replayed && !presented.pushed && !(await sameDevice(settings, record.by, request.ip))) {
        markReplay(ctx);
        await revokeGrant(provider, ctx, record.replayed);
      }
      throw new Rejection('replayed', { grantId: record.replayed });
    }
    if (!record || record.exp * 1000 <= options.clock()) throw new Rejection('not_found_or_expired');

    // A native client that is gone takes its tokens with it. (The parent grant is looked at where
    // the transfer takes effect: see recordSession.)
    const native = await provider.Client.find(record.clientId);
    if (!native) throw new Rejection('parent_revoked', known(record));
    if (untrusted(native, client)) throw new Rejection('not_trusted', known(record));

    if (record.actor !== undefined) {
      await checkDelegated(record, client, settings, presented, request);
      return { record, native };
    }

    // The web client's rule, never weaker than the issuing native client's floor.
    const floor = clientSettings(native).minimum_device_binding;
    const binding = (rule: DeviceBinding) => compareDevice({ ...settings, enforce_device_binding: rule }, record, request.ip, options.asnResolver);
    const outcome = await binding(strongerBinding(settings.enforce_device_binding, floor));
    // The floor is the native client's own, exact: the web client's IPv6 prefix does not loosen
    // it, so it is compared on its own whatever the web client's rule answered.
    const floorOutcome = floor === 'none' ? undefined : await compareDevice({ enforce_device_binding: floor, ipv6_prefix_length: null }, record, request.ip, options.asnResolver);
    const underFloor = floorOutcome?.ok === false;
    if (!outcome.ok || underFloor) {
      const mismatch = deviceMismatch(record, outcome.ok ? floorOutcome! : outcome);
      if (settings.device_binding_mode === 'enforce' || underFloor) throw mismatch;
      // log_only: report what enforcing would have refused, and go ahead.
      reportRejected(mismatch, web, { logOnly: true });
    }
    if (record.audience && !record.audience.includes(client.clientId)) throw new Rejection('client_mismatch', known(record));
    return { record, native };
  }

  async function redeemSessionTransferToken(ctx: KoaContextWithOIDC, value: unknown, client?: Client): Promise<void> {
    if (ctx.oidc.route === 'pushed_authorization_request' && typeof value === 'string') {
      // Kept as its hash; consumed at the front-channel request, from the browser's address.
      if (ctx.oidc.body?.request !== undefined) {
        // A signed request object is stored as it is, token and all.
        throw new errors.InvalidRequest(`${TOKEN_PARAM} must not be inside a request object; push it as a parameter, or send it beside request_uri`);
      }
      ctx.oidc.params![TOKEN_PARAM] = pushedValue(value);
      return;
    }
    if (ctx.oidc.route !== 'authorization') {
      // Any other back-channel request would keep the raw token in the provider's storage.
      if (value !== undefined) {
        throw new errors.InvalidRequest(`${TOKEN_PARAM} is only accepted at the authorization endpoint and in pushed authorization requests`);
      }
      return;
    }
    // Never keep the raw token among the parameters oidc-provider saves with an interaction.
    if (value !== undefined) ctx.oidc.params![TOKEN_PARAM] = undefined;

    const { provider } = ctx.oidc;
    const session = ctx.oidc.session!;
    const ended = await upkeep(ctx, provider, session, client!);

    const settings = clientSettings(client!);
    const presented = presentedToken(ctx, value, settings, cookieName);
    if (!presented) return;
    const request = await requestContext(ctx);
    const web = { clientId: client!.clientId, transport: presented.transport, ...request };
    // A transfer is not a fresh login: with prompt=login (or max_age=0) the token is left unused.
    if ('reason' in presented || ctx.oidc.prompts.has('login')) {
      const ignored = 'reason' in presented ? presented.reason : 'login_requested';
      const message = ignoredMessage(client!.clientId, ignored, presented.transport, settings.allowed_authentication_methods,
        cookieName, 'cookie' in presented ? presented.cookie : undefined);
      events.reportIgnored({ type: 'ignored', reason: ignored, message, ...web });
      return;
    }
    if (presented.transport === 'cookie') clearTokenCookie(ctx, cookieName, options.cookieDomain);
    await telemetry.operation('redeem', { 'session_transfer.client.id': web.clientId, 'session_transfer.transport': web.transport },
      (operation) => redeemPresented(ctx, client!, presented, request, web, ended, operation));
  }

  /** Consumes and checks a presented token and, when it passes, signs the browser in. */
  async function redeemPresented(
    ctx: KoaContextWithOIDC, client: Client, presented: PresentedToken, request: RequestContext, web: RedeemContext,
    ended: boolean, operation: Operation,
  ): Promise<void> {
    const { provider } = ctx.oidc;
    const session = ctx.oidc.session!;
    const settings = clientSettings(client);
    try {
      const { record, native } = await check(operation.store, ctx, provider, client, presented, request, web);
      operation.account(record.accountId);
      const delegated = record.actor !== undefined;
      if (delegated && session.accountId) {
        // Auth0: a delegated session never replaces nor joins one; the user signs out first.
        throw new Rejection('session_exists', known(record));
      }

      // A delegated link is opened by the agent it was made for: there is no one else to confirm.
      const confirming = presented.transport === 'query' && settings.confirm_query_transfers && !delegated;
      // Where no session is recorded now (recording it looks at the parent: the lineage write, or
      // a read of the mark beside the record), the parent is looked at here.
      if ((session.accountId || confirming) && await parentRevoked(operation.store, record, known(record))) throw new Rejection('parent_revoked', known(record));

      if (session.accountId && session.accountId !== record.accountId) {
        // Case 3: never a silent user swap. Under prompt=none no user is present to see a login
        // prompt, so the session is left as it is (login_required): otherwise another account's
        // token that passes binding (binding none, a shared NAT) would be a silent logout.
        if (ctx.oidc.prompts.has('none')) throw new Rejection('user_mismatch', known(record));
        // Interactive: the other user's session ends, as in Auth0; the login prompt follows.
        const accountId = session.accountId;
        const grantIds = await endSession(provider, ctx, session);
        events.report('session_revoked', { type: 'session_revoked', clientId: client.clientId, accountId, grantIds, reason: 'user_mismatch', ...request });
        throw new Rejection('user_mismatch', known(record));
      }

      const decision = await runRedeemHook(options.onRedeem, {
        ...auth0Context(record),
        transfer: {
          clientId: record.clientId,
          accountId: record.accountId,
          scope: record.scope,
          ip: record.ip,
          asn: record.asn,
          userAgent: record.userAgent,
          issuedAt: record.iat,
          authTime: record.authTime,
          amr: record.amr,
          acr: record.acr,
        },
        request: { clientId: client.clientId, ip: request.ip, asn: request.asn, userAgent: request.userAgent, transport: presented.transport },
        ...(delegated ? { actor: { sub: record.actor! } } : {}),
      }, options.redeemHookTimeout);
      if (decision.deny) throw new Rejection('denied', known(record));

      let outcome: RedeemedEvent['outcome'] = session.accountId ? 'same_user' : 'new_session';
      if (outcome === 'new_session') {
        // A delegated session lives a fixed time (never past the provider's session lifetime).
        const sessionLifetime = delegated ? Math.min(decision.sessionLifetime ?? Infinity, options.delegation?.sessionLifetime ?? Infinity) : decision.sessionLifetime;
        const lifetime = Math.min(sessionLifetime ?? Infinity, hooks.sessionTtl(ctx, session));
        // A delegated session always ends with its actor's grant.
        const cascade = delegated || clientSettings(native).enforce_cascade_revocation;
        const transferred: TransferredSession = {
          grantId: record.grantId,
          clientId: record.clientId,
          accountId: record.accountId,
          ...(decision.sessionIdleLifetime ? { idle: decision.sessionIdleLifetime } : {}),
          ...(cascade ? { cascade: true as const } : {}),
          ...(delegated ? { actor: record.actor, target: client.clientId } : {}),
          ...(decision.idTokenClaims ? { claims: decision.idTokenClaims } : {}),
        };
        const login = delegated ? {
          // The agent's login is now; nothing of the subject's own logins carries over.
          accountId: record.accountId, ts: Math.floor(options.clock() / 1000), amr: [TRANSFER_AMR, DELEGATION_AMR], transient: true,
        } : {
          accountId: record.accountId,
          // auth_time stays the native login's, so max_age cannot be satisfied by a transfer of an old login.
          ts: record.authTime ?? record.iat,
          amr: [...(record.amr ?? []).filter((value) => value !== TRANSFER_AMR), TRANSFER_AMR],
          ...(record.acr ? { acr: record.acr } : {}),
        };
        const transferredLogin = { scope: record.scope, sessionLifetime, session: transferred };
        if (confirming) {
          // Login CSRF defence: a link could carry someone else's token. The login prompt asks
          // the user to confirm who they become; oidc-provider signs them in on confirmation,
          // and only then is the session recorded (completeConfirmation).
          requireConfirmation(ctx, {
            ...transferredLogin, clientId: client.clientId, login, lifetime, parent: { grantId: record.grantId, iat: record.iat, exp: record.exp },
          });
          outcome = 'confirmation_required';
        } else {
          await recordSession(operation.store, session.uid, record, transferred, lifetime, known(record));
          // Case 1: the login the rest of the pipeline sees.
          const isNew = (session as Session & { new?: boolean }).new === true;
          session.loginAccount({ accountId: login.accountId, loginTs: login.ts, amr: login.amr, acr: 'acr' in login ? login.acr : undefined, transient: 'transient' in login });
          // Session fixation defence; an ended session was given a new identifier already.
          if (!isNew && !ended) session.resetIdentifier();
          recordTransferredLogin(ctx, transferredLogin);
        }
      }
      const silent = ctx.oidc.prompts.has('none');
      // No consent, MFA or other prompt in a delegated session: what would prompt is an error to
      // the web client instead (as under prompt=none).
      if (delegated) ctx.oidc.params!.prompt = 'none';
      events.report('redeemed', {
        type: 'redeemed', logCode: redeemedLogCode(delegated, silent), triggeredBySessionTransferToken: true,
        ...web, ...known(record) as Required<Omit<Known, 'binding' | 'actor'>>, sessionUid: session.uid, outcome,
      });
    } catch (caught) {
      // Anything unexpected (say, the provider's adapter failing) still ends at the login prompt.
      if (!(caught instanceof Rejection)) debug('session transfer token check failed: %O', caught);
      const err = caught instanceof Rejection ? caught : new Rejection('server_error');
      operation.fail(err.reason);
      reportRejected(err, web, { logCode: err.known.actor && ctx.oidc.prompts.has('none') ? 'fdelsa' : 'w' });
      if (err.reason === 'session_exists') {
        throw new errors.InteractionRequired('a session exists in this browser: sign out before opening a delegated session');
      }
      // Case 4: an existing session never silently continues past a refused token.
      if (session.accountId || err.reason === 'user_mismatch') forceLogin(ctx);
    }
  }

  /**
   * An interaction resumed (after login, consent, a confirmation) goes on with the session as the
   * authorization request did, without the parameter's validator: a transferred session past its
   * idle lifetime ends here too. True when it ended.
   */
  function resumeUpkeep(ctx: KoaContextWithOIDC): Promise<boolean> {
    return upkeep(ctx, ctx.oidc.provider, ctx.oidc.session!, ctx.oidc.client!);
  }

  return { redeem: redeemSessionTransferToken, completeConfirmation, resumeUpkeep };
}

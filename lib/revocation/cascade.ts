import Provider, { type Client, type KoaContextWithOIDC, type Session } from 'oidc-provider';

import { debug } from '../debug.js';
import { TRANSFER_AMR } from '../options.js';
import type { CascadeTrigger, SessionTransferEmitter } from '../events.js';
import { deviceLineage, type TransferStore } from '../store/store.js';
import { replayRevoked } from '../redeem/request-state.js';
import type { Instrumentation } from '../telemetry/telemetry.js';
import { deleteGrantTokens, endGrant } from './revoke-grant.js';

/**
 * Children ended at once in a cascade: a large lineage ends through this many concurrent workers,
 * whose Redis commands travel pipelined on the clients' connections.
 */
const CASCADE_CONCURRENCY = 256;

/**
 * What the mark of an ended grant says: every token it minted is void, whenever the minting
 * process thought it was.
 */
export const GRANT_ENDED = Number.MAX_SAFE_INTEGER;

/**
 * Seconds a refresh token's revocation (its grant kept) reaches past its own time: a mint that
 * found the token valid just before, or ran on a process whose clock is a little ahead, is void too.
 */
const CLOCK_ALLOWANCE = 5;

/**
 * Waits before the retries of a failed cascade, in milliseconds. The last repeats until the
 * cascade succeeds: giving up would leave the web sessions of a revoked grant signed in.
 */
export const CASCADE_RETRY_DELAYS = [1_000, 5_000, 30_000];

type WithBackchannel = Client & { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid?: string): Promise<void> };

/** The trigger, read from the request in which the parent grant was destroyed. */
function triggerOf(ctx: KoaContextWithOIDC | undefined): CascadeTrigger {
  if (ctx && replayRevoked(ctx)) return 'token_replayed';
  switch (ctx?.oidc?.route) {
    case 'revocation':
      return 'revocation';
    case 'token':
      return 'refresh_token_reuse';
    case 'end_session':
    case 'end_session_confirm':
      return 'logout';
    default:
      return 'grant_destroyed';
  }
}

/**
 * Runs `work` on every item with at most `limit` in flight. A failure does not stop the others:
 * once all have settled, the failures are thrown together.
 */
async function eachLimited<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = items[Symbol.iterator]();
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let next = queue.next(); !next.done; next = queue.next()) await work(next.value).catch((err: unknown) => failures.push(err));
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (failures.length === 1) throw failures[0];
  if (failures.length) throw new AggregateError(failures, `${failures.length} steps failed, the first: ${String((failures[0] as Error)?.message ?? failures[0])}`);
}

/**
 * Ends a browser session created from a transfer (its record is forgotten already, so it ends at
 * its next use): when it is still a transferred session (a password login since does not count),
 * tells its web clients through back-channel logout when they registered for it. Returns the
 * session, for its grants to be ended and it to be destroyed; undefined when it is left alone.
 */
async function endChildSession(provider: Provider, uid: string): Promise<Session | undefined> {
  const session = await provider.Session.findByUid(uid);
  if (!session?.amr?.includes(TRANSFER_AMR)) return undefined;
  await Promise.all(Object.entries(session.authorizations ?? {}).map(async ([clientId, authorization]) => {
    const client = await provider.Client.find(clientId) as WithBackchannel | undefined;
    if (client?.backchannelLogoutUri && session.accountId) {
      await client.backchannelLogout(session.accountId, authorization.sid)
        .catch((err: unknown) => debug('back-channel logout to %s failed: %O', clientId, err));
    }
  }));
  return session;
}

const grantsOf = (session: Session) => Object.values(session.authorizations ?? {})
  .map((authorization) => authorization.grantId).filter((id): id is string => typeof id === 'string');

export interface CascadeDependencies {
  store: TransferStore;
  events: SessionTransferEmitter;
  telemetry: Instrumentation;
  /** Current time in milliseconds, and the token lifetime in seconds (how long the void mark lasts). */
  clock: () => number;
  ttl: number;
  /** Waits before the retries of a failed cascade (ms), the last repeated; `CASCADE_RETRY_DELAYS` by default. */
  retryDelays?: readonly number[];
}

/**
 * The cascade (SPEC §6): when a native grant ends, every browser session created from its tokens
 * ends and every web grant recorded for it is revoked, with their codes and tokens. Failures are
 * reported (`cascade_failed`) and retried until one succeeds, on unref'd timers (a process may
 * exit with retries pending; `settled()` does not wait for them); the recorded children stay in
 * the store until then, so nothing is forgotten while the process runs.
 */
export function createCascade({ store, events, telemetry, clock, ttl, retryDelays = CASCADE_RETRY_DELAYS }: CascadeDependencies) {
  /** Web grants this process is ending in a cascade: theirs would find nothing (no transfer mints from one). */
  const ending = new Set<string>();
  /** Tidy-ups still running after their cascades ended (see `settled()`). */
  const tidying = new Set<Promise<void>>();

  async function once(provider: Provider, grantId: string, trigger: CascadeTrigger, voidUntil: number): Promise<void> {
    // Its tokens become void first, in the same step that reads the lineage: a redeem still in
    // flight either is among the children or is refused when it records its session.
    const children = await store.endLineage(grantId, voidUntil, ttl + CLOCK_ALLOWANCE);
    if (children.length === 0) return;
    // A device session's grants are its apps' (Native SSO), which mint themselves: their lineages end with them.
    const apps = grantId.startsWith(deviceLineage(''));
    const ctx = Provider.ctx;
    const grants = new Set<string>();
    const sessions: Session[] = [];
    const uids = children.filter((child) => child.startsWith('session:')).map((child) => child.slice('session:'.length));
    // The sessions' records go first: each session ends at its next use, as would one not saved
    // yet, still in the request that created it.
    await store.deleteSessions(uids);
    await eachLimited(children, CASCADE_CONCURRENCY, async (child) => {
      const id = child.slice(child.indexOf(':') + 1);
      let ended = [id];
      if (child.startsWith('session:')) {
        const session = await endChildSession(provider, id);
        if (session) sessions.push(session);
        ended = session ? grantsOf(session) : [];
      }
      for (const grant of ended) {
        if (grants.has(grant)) continue;
        grants.add(grant);
        ending.add(grant);
        try {
          if (apps && child.startsWith('grant:')) await once(provider, grant, trigger, GRANT_ENDED);
          await endGrant(provider, ctx, grant);
        } finally {
          ending.delete(grant);
        }
      }
    });
    await store.removeChildren(grantId, children);
    events.report('cascade_revoked', { type: 'cascade_revoked', grantId, trigger, sessions: sessions.length, grants: grants.size });
    // Ended already: the sessions end at their next use, and oidc-provider refuses the codes and
    // tokens of grants that are gone. The provider's storage is tidied after.
    const tidied = tidy(provider, sessions, grants);
    tidying.add(tidied);
    void tidied.finally(() => tidying.delete(tidied));
  }

  /** Destroys ended sessions and deletes the codes and tokens of ended grants; failures are only logged. */
  async function tidy(provider: Provider, sessions: Session[], grants: Set<string>): Promise<void> {
    try {
      await Promise.all([
        eachLimited(sessions, CASCADE_CONCURRENCY, (session) => session.destroy()),
        eachLimited(grants, CASCADE_CONCURRENCY, (grant) => deleteGrantTokens(provider, grant)),
      ]);
    } catch (err) {
      debug('tidying up after a cascade failed: %O', err);
    }
  }

  /**
   * Runs the cascade for a parent grant that ended, or (`grantKept`) whose refresh token was
   * revoked while the grant was kept: then only the tokens minted until now are void. Resolves
   * once done or handed to retries, which go on until one succeeds (a store down for minutes
   * must not leave the sessions signed in); they void what the first attempt did, no more.
   * False when the grant is a child this process is ending in a cascade already (nothing to do).
   */
  async function cascade(
    provider: Provider,
    grantId: string,
    { trigger = triggerOf(Provider.ctx), grantKept = false }: { trigger?: CascadeTrigger; grantKept?: boolean } = {},
  ): Promise<boolean> {
    if (ending.has(grantId)) return false;
    const voidUntil = grantKept ? Math.floor(clock() / 1000) + CLOCK_ALLOWANCE : GRANT_ENDED;
    const attempt = async (number: number): Promise<void> => {
      try {
        await telemetry.cascade(trigger, () => once(provider, grantId, trigger, voidUntil));
      } catch (err) {
        events.report('cascade_failed', {
          type: 'cascade_failed', grantId, trigger, attempt: number, willRetry: true, error: err instanceof Error ? err.message : String(err),
        });
        const delay = retryDelays[Math.min(number, retryDelays.length) - 1];
        setTimeout(() => void attempt(number + 1), delay).unref();
      }
    };
    await attempt(1);
    return true;
  }

  /** Resolves once the tidy-ups of the cascades that ended so far are done. */
  async function settled(): Promise<void> {
    await Promise.all([...tidying]);
  }

  return { cascade, settled };
}

export type Cascade = ReturnType<typeof createCascade>;

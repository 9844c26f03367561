import Provider, { type Client, type KoaContextWithOIDC } from 'oidc-provider';

import { debug } from '../debug.js';
import { TRANSFER_AMR } from '../options.js';
import type { CascadeTrigger, SessionTransferEmitter } from '../events.js';
import type { Child, TransferStore } from '../store/store.js';
import { replayRevoked } from '../redeem/request-state.js';
import type { Instrumentation } from '../telemetry/telemetry.js';
import { revokeGrant } from './revoke-grant.js';

/** Children ended at once in a cascade: a large lineage ends in batches, not one by one. */
const CASCADE_BATCH = 50;

/** Waits before the retries of a failed cascade, in milliseconds. */
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
 * Ends a browser session created from a transfer: forgets its record (so a session not saved yet,
 * still in the request that created it, ends at its first use), and, when it is still a
 * transferred session (a password login since does not count), revokes its grants (each once),
 * tells its web clients through back-channel logout when they registered for it, and destroys it.
 */
async function endChildSession(
  provider: Provider, store: TransferStore, ctx: KoaContextWithOIDC | undefined, uid: string, revoked: Set<string>,
): Promise<boolean> {
  const [session] = await Promise.all([provider.Session.findByUid(uid), store.deleteSession(uid)]);
  if (!session?.amr?.includes(TRANSFER_AMR)) return false;
  for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
    if (authorization.grantId && !revoked.has(authorization.grantId)) {
      revoked.add(authorization.grantId);
      await revokeGrant(provider, ctx, authorization.grantId);
    }
    const client = await provider.Client.find(clientId) as WithBackchannel | undefined;
    if (client?.backchannelLogoutUri && session.accountId) {
      await client.backchannelLogout(session.accountId, authorization.sid)
        .catch((err: unknown) => debug('back-channel logout to %s failed: %O', clientId, err));
    }
  }
  await session.destroy();
  return true;
}

/**
 * The cascade (SPEC §6): when a native grant ends, every browser session created from its tokens
 * ends and every web grant recorded for it is revoked, with their codes and tokens. Failures are
 * reported (`cascade_failed`) and retried; the recorded children stay in the store until a
 * cascade succeeds, so nothing is forgotten.
 */
export interface CascadeDependencies {
  store: TransferStore;
  events: SessionTransferEmitter;
  telemetry: Instrumentation;
  /** Current time in milliseconds, and the token lifetime in seconds (how long the void mark lasts). */
  clock: () => number;
  ttl: number;
}

export function createCascade({ store, events, telemetry, clock, ttl }: CascadeDependencies) {
  async function once(provider: Provider, grantId: string, trigger: CascadeTrigger): Promise<void> {
    // Its tokens become void first, in the same step that reads the lineage: a redeem still in
    // flight either is among the children or is refused when it records its session.
    const children = await store.endLineage(grantId, Math.floor(clock() / 1000), ttl);
    if (children.length === 0) return;
    const ctx = Provider.ctx;
    const revoked = new Set<string>();
    let sessions = 0;
    const end = async (child: Child): Promise<void> => {
      const id = child.slice(child.indexOf(':') + 1);
      if (child.startsWith('session:')) {
        if (await endChildSession(provider, store, ctx, id, revoked)) sessions += 1;
      } else if (!revoked.has(id)) {
        revoked.add(id);
        await revokeGrant(provider, ctx, id);
      }
    };
    for (let i = 0; i < children.length; i += CASCADE_BATCH) {
      await Promise.all(children.slice(i, i + CASCADE_BATCH).map(end));
    }
    await store.removeChildren(grantId, children);
    events.emit('cascade_revoked', { type: 'cascade_revoked', grantId, trigger, sessions, grants: revoked.size });
  }

  /** Runs the cascade for a parent grant that ended; resolves once done or handed to retries. */
  return async function cascade(provider: Provider, grantId: string, trigger: CascadeTrigger = triggerOf(Provider.ctx), attempt = 1): Promise<void> {
    try {
      await telemetry.cascade(trigger, () => once(provider, grantId, trigger));
    } catch (err) {
      const willRetry = attempt <= CASCADE_RETRY_DELAYS.length;
      events.emit('cascade_failed', {
        type: 'cascade_failed', grantId, trigger, attempt, willRetry, error: err instanceof Error ? err.message : String(err),
      });
      if (willRetry) {
        setTimeout(() => void cascade(provider, grantId, trigger, attempt + 1), CASCADE_RETRY_DELAYS[attempt - 1]).unref();
      }
    }
  };
}

export type Cascade = ReturnType<typeof createCascade>;

import { createHash } from 'node:crypto';

import { errors, type Client, type Grant, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

import { debug } from '../debug.js';
import { refuse } from '../mint/refusal.js';
import { DELEGATION_AMR } from '../options.js';
import type { TransferStore } from '../store/store.js';

/** The verified actor of a delegated mint, and the grant its ID token stands for. */
export interface Actor {
  sub: string;
  grantId: string;
}

const invalid = (detail: string) => refuse('actor_invalid', new errors.InvalidGrant(`actor_token ${detail}`));

/**
 * The store's key of an agent's sign-in at a client: the client, the account and the sign-in's
 * time (`auth_time`, which delegating clients' ID tokens always carry), hashed since ids may hold
 * any character. One key per browser session, so each ID token finds the grant of its own session.
 */
const actorKey = (clientId: string, sub: string, authTime: number) =>
  createHash('sha256').update(JSON.stringify([clientId, sub, authTime])).digest('base64url');

/**
 * Verifies the actor token: an ID token this provider signed with its own keys (not a client
 * secret the console could sign with itself) for the minting client, no logout token, unexpired
 * by the library's clock, of an agent signed in as themselves (not inside a delegated session),
 * whose grant at that client still stands. oidc-provider's ID tokens name no grant (and carry
 * `sid` only with back-channel logout), so the grant is found by the agent's sign-in
 * (`linkActorGrant`): a signed-out or revoked agent cannot mint, and revoking the grant of that
 * sign-in reaches what was minted with it.
 */
export async function verifyActor(provider: Provider, store: TransferStore, client: Client, idToken: string, now: number): Promise<Actor> {
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    ({ header, payload } = await provider.IdToken.validate(idToken, client));
  } catch {
    throw invalid('is not an ID token this provider issued to the client');
  }
  if (typeof header.alg !== 'string' || header.alg.startsWith('HS')) throw invalid('must be signed with the provider\'s keys, not a client secret');
  if (header.typ === 'logout+jwt' || payload.events !== undefined) throw invalid('is a logout token');
  // oidc-provider checks ID token hints without their expiry; an actor must be current.
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now) throw invalid('is expired');
  // An agent inside a delegated session is someone else: it never delegates in their name.
  if (payload.act !== undefined || (Array.isArray(payload.amr) && payload.amr.includes(DELEGATION_AMR))) {
    throw invalid('comes from a delegated session');
  }
  const { sub, auth_time: authTime } = payload;
  if (typeof sub !== 'string' || typeof authTime !== 'number') throw invalid('has no sub or auth_time');
  const grantId = await store.grantOfActor(actorKey(client.clientId, sub, authTime));
  const grant = grantId === undefined ? undefined : await provider.Grant.find(grantId);
  if (!grant || grant.clientId !== client.clientId || grant.accountId !== sub) {
    throw invalid('names an agent whose grant at this client ended (sign in again)');
  }
  return { sub, grantId: grantId! };
}

/** How long a link lives when its grant tells no expiry: oidc-provider's default grant lifetime. */
const DEFAULT_LINK_TTL = 14 * 24 * 3600;

/**
 * At a delegating client's authorization, links the agent's sign-in (the session's login time,
 * the `auth_time` of its ID tokens) to the grant the client's tokens are issued under, for as
 * long as the grant lives. Only delegating clients pay for it. A failed link is logged; the mint
 * then refuses that agent (fail closed).
 */
export async function linkActorGrant(ctx: KoaContextWithOIDC, store: TransferStore, grant: Grant): Promise<void> {
  const { client, session } = ctx.oidc;
  const loginTs = session?.loginTs;
  if (!client || !grant.jti || !grant.accountId || typeof loginTs !== 'number') return;
  const exp = (grant as Grant & { exp?: number }).exp;
  const ttl = typeof exp === 'number' ? Math.max(1, exp - Math.floor(Date.now() / 1000)) : DEFAULT_LINK_TTL;
  await store.linkActor(actorKey(client.clientId, grant.accountId, loginTs), grant.jti, ttl)
    .catch((err: unknown) => debug('linking a delegating client\'s agent to its grant failed: %O', err));
}

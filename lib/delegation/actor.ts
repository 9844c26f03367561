import { createHash } from 'node:crypto';

import { errors, type Client, type Grant, type KoaContextWithOIDC, type Provider } from 'oidc-provider';

import { debug } from '../debug.js';
import { refuse } from '../mint/refusal.js';
import type { TransferStore } from '../store/store.js';

/** The verified actor of a delegated mint, and the grant its ID token stands for. */
export interface Actor {
  sub: string;
  grantId: string;
}

const invalid = (detail: string) => refuse('actor_invalid', new errors.InvalidGrant(`actor_token ${detail}`));

/** The store's key of an actor: a hash, since client ids and subjects may hold any character. */
const actorKey = (clientId: string, sub: string) => createHash('sha256').update(JSON.stringify([clientId, sub])).digest('base64url');

/**
 * Verifies the actor token: an ID token this provider issued to the minting client (signature,
 * issuer, audience), unexpired by the library's clock, of an agent whose grant at that client
 * still stands. oidc-provider's ID tokens name no grant (and carry `sid` only with back-channel
 * logout), so the grant is the agent's latest at the client, which `linkActorGrant` recorded: a
 * signed-out or revoked agent cannot mint, and revoking the agent's grant reaches what was minted.
 */
export async function verifyActor(provider: Provider, store: TransferStore, client: Client, idToken: string, now: number): Promise<Actor> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await provider.IdToken.validate(idToken, client));
  } catch {
    throw invalid('is not an ID token this provider issued to the client');
  }
  // oidc-provider checks ID token hints without their expiry; an actor must be current.
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now) throw invalid('is expired');
  const { sub } = payload;
  if (typeof sub !== 'string') throw invalid('has no sub');
  const grantId = await store.grantOfActor(actorKey(client.clientId, sub));
  const grant = grantId === undefined ? undefined : await provider.Grant.find(grantId);
  if (!grant || grant.clientId !== client.clientId || grant.accountId !== sub) {
    throw invalid('names an agent whose grant at this client ended (sign in again)');
  }
  return { sub, grantId: grantId! };
}

/** How long a link lives when its grant tells no expiry: oidc-provider's default grant lifetime. */
const DEFAULT_LINK_TTL = 14 * 24 * 3600;

/**
 * At a delegating client's authorization, links the signed-in agent to the grant the client's
 * tokens are issued under, for as long as the grant lives. Only delegating clients pay for it. A
 * failed link is logged; the mint then refuses that agent (fail closed).
 */
export async function linkActorGrant(ctx: KoaContextWithOIDC, store: TransferStore, grant: Grant): Promise<void> {
  const { client } = ctx.oidc;
  if (!client || !grant.jti || !grant.accountId) return;
  const exp = (grant as Grant & { exp?: number }).exp;
  const ttl = typeof exp === 'number' ? Math.max(1, exp - Math.floor(Date.now() / 1000)) : DEFAULT_LINK_TTL;
  await store.linkActor(actorKey(client.clientId, grant.accountId), grant.jti, ttl)
    .catch((err: unknown) => debug('linking a delegating client\'s agent to its grant failed: %O', err));
}

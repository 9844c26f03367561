import { errors, type Client, type Provider } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { untrusted } from '../trust/trust-map.js';
import { refuse } from './refusal.js';

/** Most web clients one token may name: they are stored with it. */
const MAX_AUDIENCE = 10;

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The web clients that may redeem, from `audience` and `resource` (each a client id, the Auth0
 * audience URNs left out); undefined when none is named. A client that is unknown, accepts no
 * transfer, is outside the trust map for `minting`, or fails `accepts` is `invalid_target`.
 */
export async function resolveAudience(
  provider: Provider,
  minting: Client,
  params: { audience?: string | string[]; resource?: string | string[] },
  transferAudiences: ReadonlySet<string>,
  accepts: (client: Client) => string | undefined = () => undefined,
): Promise<string[] | undefined> {
  const named = [...list(params.audience), ...list(params.resource)].filter((value) => !transferAudiences.has(value));
  if (named.length === 0) return undefined;
  const audience = [...new Set(named)];
  if (audience.length > MAX_AUDIENCE) {
    throw refuse('invalid_target', new errors.InvalidTarget(`at most ${MAX_AUDIENCE} web clients may be named`));
  }
  for (const clientId of audience) {
    const client = await provider.Client.find(clientId);
    if (!client || clientSettings(client).allowed_authentication_methods.length === 0) {
      throw refuse('invalid_target', new errors.InvalidTarget(`${clientId} is not a client that accepts session transfer tokens`));
    }
    const refusal = untrusted(minting, client) ?? accepts(client);
    if (refusal) throw refuse('invalid_target', new errors.InvalidTarget(`${clientId} ${refusal}`));
  }
  return audience;
}

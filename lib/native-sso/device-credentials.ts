import { timingSafeEqual } from 'node:crypto';

import { errors, type Client, type Provider } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { invalidRequest, refuse } from '../mint/refusal.js';
import { untrusted } from '../trust/trust-map.js';
import type { DeviceSession, DeviceSessionStore } from '../store/store.js';
import { deviceSessionIdOf, dsHash } from './device-secret.js';

/** `actor_token_type` of a device secret: the spec's since draft 07, and the earlier one Okta's and Authgear's SDKs send. */
export const DEVICE_SECRET_TYPES: readonly string[] = [
  'urn:openid:params:token-type:device-secret',
  'urn:x-oath:params:oauth:token-type:device-secret',
];

/** What an exchange's ID token and device secret stand for, once checked. */
export interface DeviceCredentials {
  /** The device session (the `sid` of its ID tokens) and what it holds. */
  id: string;
  session: DeviceSession;
  /** `ds_hash` of the presented device secret. */
  secretHash: string;
  /** The app the ID token was issued to. */
  from: Client;
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The ID token's client (`aud`; `azp` when there are several), unverified: whose keys it is checked with. */
function audienceOf(idToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as { aud?: unknown; azp?: unknown };
    if (typeof payload.aud === 'string') return payload.aud;
    return Array.isArray(payload.aud) && typeof payload.azp === 'string' && payload.aud.includes(payload.azp) ? payload.azp : undefined;
  } catch {
    return undefined;
  }
}

/** The refusal of a device session that is unknown, expired or ended: `invalid_grant`, as §4.3 says. */
export function deviceSessionEnded(): InstanceType<typeof errors.InvalidGrant> {
  return refuse('device_session_ended', new errors.InvalidGrant('the device session has ended: sign in again'));
}

/**
 * Why `client` is outside a device session's group, if it is. The group is the first app and the
 * apps the trust map lets it hand its session to: an app joins only inside it (besides the lists
 * of the app whose ID token it presents), so every app that joined may end the device session.
 */
export async function outsideGroup(provider: Provider, session: DeviceSession, client: Client): Promise<string | undefined> {
  if (client.clientId === session.clientId) return undefined;
  const first = await provider.Client.find(session.clientId);
  return first ? untrusted(first, client) : `is outside the device session's group: its first app ${session.clientId} is no longer a client`;
}

/**
 * Native SSO §4.3's checks of `subject_token` (an ID token) and `actor_token` (a device secret)
 * presented by `client`: the device session is alive, and so is its first sign-in's grant (else
 * `invalid_grant`, as the spec says); the secret is one of its current ones; the ID token is one
 * this provider signed for a Native SSO app (its expiry is not checked: §6.3) and names this
 * secret (`ds_hash`, hence this device session's `sid` and user); and the trust map lets that app
 * and the device session's first app hand their session to `client`. The rest is
 * `invalid_request` (RFC 8693 §2.2.2). Reads only.
 */
export async function verifyDeviceCredentials(
  provider: Provider, store: DeviceSessionStore, client: Client, idToken: string, deviceSecret: string,
): Promise<DeviceCredentials> {
  const id = deviceSessionIdOf(deviceSecret);
  if (id === undefined) throw invalidRequest('actor_token is not a device secret of this provider', 'device_secret_invalid');
  const secretHash = dsHash(deviceSecret);
  const found = await store.deviceSession(id, secretHash);
  if (!found) throw deviceSessionEnded();
  if (!found.current) throw invalidRequest('actor_token is not a current device secret of its device session', 'device_secret_invalid');
  // The device session is the session behind its first sign-in (§4.3): with that grant gone, it
  // has ended, whatever its record says (a sign-in that raced a device logout, a partial write).
  if (!await provider.Grant.find(found.session.grantId)) throw deviceSessionEnded();

  const fromId = audienceOf(idToken);
  const from = fromId === undefined ? undefined : await provider.Client.find(fromId);
  if (!from) throw invalidRequest('subject_token is not an ID token of a client of this provider', 'id_token_mismatch');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await provider.IdToken.validate(idToken, from));
  } catch {
    throw invalidRequest('subject_token is not an ID token this provider issued', 'id_token_mismatch');
  }
  // ds_hash names the presented secret, which names its device session: the ID token's sid and
  // sub are that session's (only its apps' ID tokens carry the hash).
  if (typeof payload.ds_hash !== 'string' || !sameText(payload.ds_hash, secretHash)) throw invalidRequest('subject_token was not issued with this device secret (ds_hash)', 'id_token_mismatch');
  if (!clientSettings(from).native_sso) throw invalidRequest(`subject_token was issued to ${from.clientId}, which is not a Native SSO app`, 'id_token_mismatch');
  const refusal = untrusted(from, client) ?? await outsideGroup(provider, found.session, client);
  if (refusal) throw invalidRequest(`${client.clientId} ${refusal}`, 'not_trusted');
  return { id, session: found.session, secretHash, from };
}

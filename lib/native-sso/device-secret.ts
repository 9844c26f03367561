import { randomUUID } from 'node:crypto';

import { generateToken, hashToken } from '../token.js';

/** The scope by which an app asks for a device secret. */
export const DEVICE_SSO_SCOPE = 'device_sso';
/** `gty` of the tokens a Native SSO exchange issues, as oidc-provider names a grant type on its tokens. */
export const NATIVE_SSO_GTY = 'native_sso';
/** ID token signing algorithms whose `*_hash` claims use SHA-256: the ones `ds_hash` is computed for. */
export const SHA256_ALGS: readonly string[] = ['RS256', 'PS256', 'ES256'];

/** Device session ids, and the random part of a secret: base64url (as `sid` values and tokens are). */
const PART = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * A new device secret, `<device session id>.<256 random bits>`: opaque to apps, and naming its
 * device session so it is found with one read. The id is the sign-in's `sid` when oidc-provider
 * gave its ID tokens one (apps then see one `sid`), a new one otherwise.
 */
export function newDeviceSecret(sid: string | undefined): { id: string; secret: string } {
  const id = sid ?? randomUUID();
  return { id, secret: `${id}.${generateToken()}` };
}

/** The device session id a presented secret names; undefined when it is not one of this library's. */
export function deviceSessionIdOf(secret: string): string | undefined {
  const dot = secret.indexOf('.');
  if (dot < 1) return undefined;
  const [id, random] = [secret.slice(0, dot), secret.slice(dot + 1)];
  return PART.test(id) && PART.test(random) ? id : undefined;
}

/**
 * `ds_hash` (Native SSO §3.2): the left half of the SHA-256 of the secret's ASCII, base64url, as
 * `at_hash` is for an RS256/PS256/ES256 ID token. It is also what the store keeps of the secret
 * (`hashToken`): the secret itself is never stored.
 */
export const dsHash = (secret: string): string => hashToken(secret);

import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes = 256 bits from the CSPRNG. */
const TOKEN_BYTES = 32;

/** A new Session Transfer Token: opaque base64url text, 43 characters. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** 128 bits of the hash: beyond reach of collisions and second preimages, and a short key. */
const HASH_BYTES = 16;

/**
 * What the store keys a token by: the first 128 bits of its SHA-256, base64url (22 characters).
 * A plain hash suffices because the input is 256 random bits (no dictionary to try); the raw
 * token itself is never stored. Key length matters: one key is kept per outstanding token.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest().subarray(0, HASH_BYTES).toString('base64url');
}

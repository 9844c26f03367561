import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes = 256 bits from the CSPRNG. */
const TOKEN_BYTES = 32;

/** A new Session Transfer Token: opaque base64url text, 43 characters. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * What the store keys a token by. A plain SHA-256 suffices because the input is 256 random bits
 * (no dictionary to try); the raw token itself is never stored.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

import { describe, expect, it } from '@jest/globals';

import { generateToken, hashToken } from '../../lib/token.js';

describe('token', () => {
  it('makes 256-bit base64url tokens that do not repeat', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, generateToken));
    expect(tokens.size).toBe(10_000);
    for (const token of [...tokens].slice(0, 100)) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  it('hashes with SHA-256 (its first 128 bits), never returning the token itself', () => {
    expect(hashToken('abc')).toBe('ungWv48Bz-pBQUDeXa4iIw');
    const token = generateToken();
    expect(hashToken(token)).not.toBe(token);
    expect(hashToken(token)).toBe(hashToken(token));
  });
});

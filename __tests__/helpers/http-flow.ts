import type { NativeApp } from '../../examples/native/app.js';

export const WEB_REDIRECT = 'http://localhost:3001/callback';
/** The issuer the processes share (ISSUER=http://localhost:3000), whatever port each listens on. */
export const ISSUER_HOST = 'localhost:3000';

/**
 * One authorization request carrying a token, without cookies (a fresh browser), from a process
 * of the provider: 'code', or the error it ended in (`login_required` with prompt=none).
 */
export async function redeemAt(
  base: string, token: string, clientId = 'example-web', redirectUri = WEB_REDIRECT, authorizationPath = '/auth',
): Promise<string> {
  const query = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', prompt: 'none', session_transfer_token: token,
  });
  const response = await fetch(`${base}${authorizationPath}?${query}`, { redirect: 'manual' });
  await response.body?.cancel();
  const location = new URL(response.headers.get('location') ?? '', base);
  return location.searchParams.has('code') ? 'code' : location.searchParams.get('error') ?? `status ${response.status}`;
}

/** Tokens one native grant may mint within a token lifetime (the `maxTokensPerGrant` default). */
const PER_GRANT = 20;

/**
 * Mints `count` tokens, spreading the mints over `apps` (one app's view of each provider
 * process) in turn, from a new native login every `PER_GRANT` tokens. Each mint may rotate the
 * refresh token; the next one uses the new token, as the app would.
 */
export async function mintMany(apps: NativeApp[], count: number): Promise<string[]> {
  const tokens: string[] = [];
  let current = '';
  for (let i = 0; i < count; i += 1) {
    const app = apps[i % apps.length]!;
    if (i % PER_GRANT === 0) current = (await app.signIn('demo@example.com', 'demo')).refresh_token;
    const minted = await app.mint(current);
    tokens.push(minted.token);
    current = minted.refreshToken ?? current;
  }
  return tokens;
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inBatches<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += limit) {
    results.push(...await Promise.all(tasks.slice(i, i + limit).map((task) => task())));
  }
  return results;
}

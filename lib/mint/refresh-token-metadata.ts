import type { Client, KoaContextWithOIDC, RefreshToken } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';
import { debug } from '../debug.js';
import { callWithDeadline } from '../hook-deadline.js';
import type { RefreshTokenMetadataHook } from '../options.js';
import type { TransferRecord, TransferStore } from '../store/store.js';
import { hashToken } from '../token.js';

/** Auth0's bounds on refresh-token metadata. */
const MAX_PAIRS = 25;
const MAX_LENGTH = 255;
/** How long metadata is kept when the grant tells no expiry: oidc-provider's default grant lifetime. */
const DEFAULT_TTL = 14 * 24 * 3600;

/** The hook's answer checked: a host's mistake stops the token request with a message naming the option. */
function checked(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const entries = typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : undefined;
  if (!entries || entries.length > MAX_PAIRS
    || !entries.every(([key, text]) => typeof text === 'string' && key.length <= MAX_LENGTH && text.length <= MAX_LENGTH)) {
    throw new TypeError(`options.refreshTokenMetadata must return up to ${MAX_PAIRS} string pairs of up to ${MAX_LENGTH} characters, or nothing`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * When oidc-provider is about to issue a refresh token to a client that may mint, asks the host
 * for its metadata and keeps it under the token's grant (rotation keeps the grant, so the
 * metadata follows the token family), for as long as the grant lives.
 */
export async function recordRefreshTokenMetadata(
  hook: RefreshTokenMetadataHook, timeout: number, store: TransferStore, ctx: KoaContextWithOIDC, client: Client,
  source: { accountId?: string; grantId?: string; scope?: string },
): Promise<void> {
  if (!clientSettings(client).can_create_session_transfer_token || !source.grantId || !source.accountId) return;
  const context = { clientId: client.clientId, accountId: source.accountId, grantId: source.grantId, scope: source.scope ?? '' };
  // Metadata is not worth a failed login: a hook past its deadline, or a store that cannot keep
  // it, leaves the token without (a debug line says so). A malformed answer is a host bug: it throws.
  let answer: unknown;
  try {
    answer = await callWithDeadline(() => hook(ctx, context), timeout, 'refreshTokenMetadata');
  } catch (err) {
    debug('refresh token metadata not set: %O', err);
    return;
  }
  const metadata = checked(answer);
  if (!metadata) return;
  const exp = (ctx.oidc.entities.Grant as { exp?: number } | undefined)?.exp;
  await store.saveGrantMetadata(source.grantId, metadata, typeof exp === 'number' ? Math.max(1, exp - Math.floor(Date.now() / 1000)) : DEFAULT_TTL)
    .catch((err: unknown) => debug('refresh token metadata not kept: %O', err));
}

/**
 * A minted token's parent refresh token as Auth0's Actions show it: an id (a hash of the token,
 * never the token) and the metadata kept for its grant.
 */
export async function parentRefreshToken(store: TransferStore, refreshToken: RefreshToken): Promise<NonNullable<TransferRecord['parentRefreshToken']>> {
  const metadata = await store.grantMetadata(refreshToken.grantId!);
  return { id: hashToken(refreshToken.jti), ...(metadata ? { metadata } : {}) };
}

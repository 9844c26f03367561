import type { Configuration } from 'oidc-provider';

import { DEVICE_SSO_SCOPE } from './device-secret.js';

/** oidc-provider's default `scopes`. */
const DEFAULT_SCOPES = ['openid', 'offline_access'];

/**
 * The oidc-provider configuration entries Native SSO adds to the host's: the `device_sso` scope,
 * `ds_hash` and `sid` among the `openid` scope's claims (ID tokens keep only those when
 * `conformIdTokenClaims` is on; only the library's device claims ever hold them), and
 * `native_sso_supported` in discovery (§5).
 */
export function nativeSsoConfiguration(configuration: Configuration): Pick<Configuration, 'scopes' | 'claims' | 'discovery'> {
  return {
    scopes: [...new Set([...(configuration.scopes ?? DEFAULT_SCOPES), DEVICE_SSO_SCOPE])],
    claims: { ...configuration.claims, openid: [...new Set([...(configuration.claims?.openid as string[] | undefined) ?? ['sub'], 'ds_hash', 'sid'])] },
    discovery: { ...configuration.discovery, native_sso_supported: true },
  };
}

export type MintForm = 'auth0' | 'rfc8693';

export interface Minted {
  /** The Session Transfer Token. */
  token: string;
  expiresIn: number;
  /** The rotated refresh token, when the provider rotates: the app must keep it. */
  refreshToken?: string;
}

/**
 * Exchanges the native app's refresh token for a Session Transfer Token at `issuer`'s token
 * endpoint, in the form the Auth0 SDKs send (`auth0`: JSON refresh_token grant with the
 * session-transfer audience, built from `host`, by default the issuer's host) or as an
 * RFC 8693 token exchange (`rfc8693`).
 */
export async function mint(issuer: string, clientId: string, refreshToken: string, form: MintForm, host = new URL(issuer).host): Promise<Minted> {
  const request = form === 'auth0'
    ? {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, audience: `urn:${host}:session_transfer` }),
    }
    : {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: clientId,
        subject_token: refreshToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        requested_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token',
      }).toString(),
    };
  const response = await fetch(new URL('/token', issuer), { method: 'POST', ...request });
  const body = await response.json() as { access_token?: string; expires_in?: number; refresh_token?: string; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) throw new Error(`mint refused: ${body.error} ${body.error_description ?? ''}`);
  return { token: body.access_token, expiresIn: body.expires_in ?? 0, refreshToken: body.refresh_token };
}

/**
 * Auth0.swift 3.1.0 (github.com/auth0/Auth0.swift, tag 3.1.0, commit 850e1a289b5d18be200c631777418a7e7ccc6ec8),
 * replayed as its source builds requests and decoded as it decodes answers:
 * - requests: `Auth0/Request.swift` (`Content-Type: application/json` on every request, JSON bodies),
 *   `Auth0/Auth0ClientInfo.swift` (`Auth0-Client`: base64url without padding of {name, version, env}),
 *   `Auth0/Auth0Authentication.swift` (`codeExchange`, `renew`, `revoke` → `{token, client_id}`,
 *   `ssoExchange` → audience `urn:<url.host>:session_transfer`, the host without its port),
 *   `Auth0/WebAuth.swift` (/authorize with `auth0Client`, `nonce`, PKCE, `dpop_jkt` under `useDPoP()`),
 *   `Auth0/PARWebAuth.swift` (`session_transfer_token` beside `request_uri`);
 * - DPoP: `Auth0/DPoP/*` (ES256 P-256 key; a proof on every non-refresh token request, and on refresh
 *   and SSO exchange once a key exists; never on revoke);
 * - decoding: `Auth0/Credentials.swift` (present fields must be strings, `expires_in` a number or a
 *   numeric string), `Auth0/SSOCredentials.swift` (`access_token`, `issued_token_type`, `id_token`,
 *   `expires_in` required), `Auth0/Auth0APIError.swift` (`error` → code, `error_description` → description);
 * - ID token: `Auth0/IDTokenValidator.swift`, `ClaimValidators.swift`, `IDTokenSignatureValidator.swift`,
 *   `JWK+RSA.swift` (RS256 only, `kid` required, issuer `https://<domain>/` with the trailing slash,
 *   JWKS key with `alg: "RS256"` and `use` absent or `sig`).
 * The SDK forces `https://`; the example has no TLS, so the domain here is `http://localhost:<port>`.
 */
import { auth0SwiftWire, describeNativeSdk } from '../helpers/native-sdk.js';

/** `decodeIfPresent(String.self)`: absent is fine, anything but a string fails. */
function strings(body: Record<string, unknown>, fields: string[]): void {
  for (const field of fields) {
    if (field in body && typeof body[field] !== 'string') throw new TypeError(`${field} must be a string`);
  }
}

/** `expires_in`: a string parseable as a number, or a number. */
function expiresIn(value: unknown): number {
  const parsed = typeof value === 'string' ? Number(value) : value;
  if (typeof parsed !== 'number' || Number.isNaN(parsed)) throw new TypeError('Format of expires_in is not recognized.');
  return parsed;
}

describeNativeSdk({
  name: 'Auth0.swift 3.1.0 (Authentication API and WebAuth, useDPoP)',
  ...auth0SwiftWire({ name: 'Auth0.swift', version: '3.1.0', env: { swift: '6.x', iOS: '18.0' } }),
  keepKey: (jwk) => jwk.kty === 'RSA' && (jwk as { alg?: string }).alg === 'RS256' && [undefined, 'sig'].includes((jwk as { use?: string }).use),
  credentials(body) {
    strings(body, ['access_token', 'token_type', 'id_token', 'refresh_token', 'scope']);
    if ('expires_in' in body) expiresIn(body.expires_in);
  },
  ssoCredentials(body) {
    for (const field of ['access_token', 'issued_token_type', 'id_token']) {
      if (typeof body[field] !== 'string') throw new TypeError(`${field} is required`);
    }
    expiresIn(body.expires_in);
    strings(body, ['refresh_token']);
    return body.access_token as string;
  },
  error: (_status, body) => ({
    code: String(body?.error ?? body?.code ?? 'a0.sdk.internal_error.unknown'),
    description: String(body?.description ?? body?.error_description ?? ''),
  }),
  par: true,
});

/**
 * Auth0.Android 3.18.0 (github.com/auth0/Auth0.Android, commit 5b86b710362b8a55d7e0d50d51011c359c7fdb6b),
 * replayed as its source builds requests and decoded as it decodes answers:
 * - requests: `auth0/src/main/java/com/auth0/android/request/internal/RequestFactory.kt` and
 *   `DefaultClient.kt` (every non-GET body is JSON, `Content-Type: application/json; charset=utf-8`,
 *   `Accept-Language`), `util/Auth0UserAgent.kt` (`Auth0-Client`: URL-safe base64 *with* padding of
 *   {name, env, version}), `authentication/AuthenticationAPIClient.kt` (`token()` code exchange,
 *   `renewAuth`, `revokeToken` → `{client_id, token}`, `ssoExchange` → audience
 *   `urn:${HttpUrl.host}:session_transfer`, the host without its port), `provider/WebAuthProvider.kt`
 *   and `provider/PARCodeManager.kt` (`withSessionTransferToken`: the token beside `request_uri`);
 * - DPoP: `dpop/DPoP.kt`, `dpop/DPoPUtil.kt` (ES256 P-256; a proof on every non-refresh token
 *   request, on refresh and SSO exchange once a key exists; never on revoke);
 * - decoding: `request/internal/CredentialsDeserializer.kt` (`id_token`, `access_token`,
 *   `token_type`, `expires_in` as a number or numeric string), `result/SSOCredentials.kt` (Gson;
 *   `expires_in` an integer), `authentication/AuthenticationException.kt` (`error` → code,
 *   `error_description` → description);
 * - ID token: `provider/IdTokenVerifier.kt`, `provider/SignatureVerifier.kt` (RS256, issuer
 *   `https://<host>[:port]/`), and the JWKS filter keeping only keys with `alg: "RS256"` and `use: "sig"`.
 * The SDK uses `https://`; the example has no TLS, so the domain here is `http://localhost:<port>`.
 */
import { describeNativeSdk } from '../helpers/native-sdk.js';
import { auth0Client } from '../helpers/sdk-wire.js';

describeNativeSdk({
  name: 'Auth0.Android 3.18.0 (AuthenticationAPIClient and WebAuthProvider, useDPoP)',
  headers: {
    'auth0-client': auth0Client({ name: 'Auth0.Android', env: { android: '35' }, version: '3.18.0' }, 'base64url-padded'),
    'accept-language': 'en_US',
    'user-agent': 'okhttp/4.12.0',
  },
  contentType: 'application/json; charset=utf-8',
  authorizeTelemetry: auth0Client({ name: 'Auth0.Android', env: { android: '35' }, version: '3.18.0' }, 'base64url-padded'),
  dpop: true,
  audience: (domain) => `urn:${domain.hostname}:session_transfer`,
  issuer: (domain) => `${domain.origin}/`,
  keepKey: (jwk) => (jwk as { alg?: string }).alg === 'RS256' && (jwk as { use?: string }).use === 'sig',
  credentials(body) {
    for (const field of ['id_token', 'access_token', 'token_type']) {
      if (typeof body[field] !== 'string') throw new TypeError(`${field} is required`);
    }
    const expires = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
    if (typeof expires !== 'number' || Number.isNaN(expires)) throw new TypeError('expires_in is required');
  },
  ssoCredentials(body) {
    if (typeof body.access_token !== 'string') throw new TypeError('access_token is required');
    if (!Number.isInteger(body.expires_in)) throw new TypeError('expires_in must be an integer');
    // CredentialsManager stores the id_token it returns: a missing one would erase the stored one.
    if (typeof body.id_token !== 'string') throw new TypeError('id_token is required');
    return body.access_token;
  },
  error: (_status, body) => ({
    code: String(body?.error ?? body?.code ?? 'a0.sdk.internal_error.unknown'),
    description: String(body?.description ?? body?.error_description ?? ''),
  }),
  par: true,
});

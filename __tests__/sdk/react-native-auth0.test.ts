/**
 * react-native-auth0 5.11.0 (github.com/auth0/react-native-auth0, commit b45a074ee2699154eaeb578f7b919f59c46bf5de).
 *
 * Its JavaScript Authentication API (`auth0.auth.*`) sends its own requests:
 * - `src/core/services/HttpClient.ts`: JSON bodies, `Content-Type` and `Accept: application/json`,
 *   `Auth0-Client` = standard base64 of `{"name":"react-native-auth0","version":"5.11.0"}`
 *   (`src/core/utils/telemetry.ts`);
 * - `src/core/services/AuthenticationOrchestrator.ts`: `exchange` (code exchange), `refreshToken`,
 *   `revoke` → `{client_id, token}`, `ssoExchange` → audience `urn:${new URL(baseUrl).host}:session_transfer`
 *   (the host *with* its port); none of them carries a DPoP proof;
 * - decoding: `src/core/models/Credentials.ts` and `SSOCredentials.ts` (`fromResponse`: no runtime
 *   validation; the transfer token is `access_token`, its type `issued_token_type`, `expires_in` a
 *   number), `src/core/models/AuthError.ts` (`error` → name/code, `error_description` → message).
 * Web auth and `getSSOCredentials()` go through Auth0.swift 2.25.0 and Auth0.Android 3.21.0
 * (`A0Auth0.podspec`, `android/build.gradle`), with `useDPoP` on by default (`src/types/common.ts`):
 * those requests are the ones the Auth0.swift and Auth0.Android suites replay, with the native SDKs'
 * own `Auth0-Client` (react-native-auth0 sets no library name on them); the second block below
 * replays the iOS path with the bridge's decoding (`ios/NativeBridge.swift`: Auth0.swift's
 * `SSOCredentials`, which requires `id_token`).
 * The SDK targets `https://<domain>`; the example has no TLS, so the domain here is `http://localhost:<port>`.
 */
import { auth0SwiftWire, describeNativeSdk } from '../helpers/native-sdk.js';
import { auth0Client } from '../helpers/sdk-wire.js';

const error = (_status: number, body: Record<string, unknown> | undefined) => ({
  code: String(body?.code ?? body?.error ?? 'a0.response.invalid'),
  description: String(body?.message ?? body?.error_description ?? 'Unknown error'),
});

describeNativeSdk({
  name: 'react-native-auth0 5.11.0, JavaScript Authentication API',
  headers: { 'auth0-client': auth0Client({ name: 'react-native-auth0', version: '5.11.0' }, 'base64'), accept: 'application/json' },
  contentType: 'application/json',
  dpop: false,
  audience: (domain) => `urn:${domain.host}:session_transfer`,
  credentials(body) {
    // fromResponse copies fields without checking; expiresAt needs a number.
    if (typeof body.expires_in !== 'number') throw new TypeError('expires_in must be a number (expiresAt would be NaN)');
  },
  ssoCredentials(body) {
    if (typeof body.access_token !== 'string' || typeof body.issued_token_type !== 'string' || typeof body.expires_in !== 'number') {
      throw new TypeError('not a SessionTransferCredentials response');
    }
    return body.access_token;
  },
  error,
  par: false,
});

describeNativeSdk({
  name: 'react-native-auth0 5.11.0 on iOS: web auth and getSSOCredentials() through Auth0.swift 2.25.0, useDPoP',
  ...auth0SwiftWire({ name: 'Auth0.swift', version: '2.25.0', env: { swift: '6.x', iOS: '18.0' } }),
  credentials(body) {
    if (typeof body.access_token !== 'string' || typeof body.id_token !== 'string') throw new TypeError('credentials incomplete');
  },
  ssoCredentials(body) {
    for (const field of ['access_token', 'issued_token_type', 'id_token']) {
      if (typeof body[field] !== 'string') throw new TypeError(`${field} is required`);
    }
    return body.access_token as string;
  },
  error,
  par: false,
});

/**
 * auth0-flutter 2.6.0 (github.com/auth0/auth0-flutter, commit 165db027bb85b7241893abfb34fb6e69e21b38a9).
 * Dart sends no HTTP: the method channels call Auth0.swift 2.24.1 (`auth0_flutter/ios/auth0_flutter.podspec`)
 * or Auth0.Android, wrapped with the library name (`auth0_flutter/lib/auth0_flutter.dart`,
 * `darwin/.../AuthAPI/AuthAPIHandler.swift`: `using(inLibrary: "auth0-flutter", version:)`), so the
 * requests are Auth0.swift's with `Auth0-Client` {name: auth0-flutter, env.core: the Swift SDK's
 * version}. `useDPoP` is opt-in (`lib/src/mobile/credentials_manager.dart`, default false); both are
 * replayed. Decoding is Flutter's own:
 * - `auth0_flutter_platform_interface/lib/src/sso_credentials.dart` `SSOCredentials.fromMap`:
 *   `sessionTransferToken` (from `access_token`), `tokenType` (from `issued_token_type`),
 *   `expiresIn` an int, `idToken` all required; `refreshToken` optional;
 * - `auth0_flutter_platform_interface/lib/src/credentials.dart` `Credentials.fromMap`: `idToken` (a
 *   JWT the native side decodes into `userProfile`), `accessToken`, `tokenType`, `expiresAt` required;
 * - errors: the native SDK's (`error` → code, `error_description` → message).
 * The SDK targets `https://<domain>`; the example has no TLS, so the domain here is `http://localhost:<port>`.
 */
import { auth0SwiftWire, describeNativeSdk } from '../helpers/native-sdk.js';

describeNativeSdk({
  name: 'auth0-flutter 2.6.0 on iOS (Auth0.swift 2.24.1), useDPoP',
  ...auth0SwiftWire({ name: 'auth0-flutter', version: '2.6.0', env: { swift: '6.x', iOS: '18.0', core: '2.24.1' } }),
  credentials(body) {
    for (const field of ['id_token', 'access_token', 'token_type']) {
      if (typeof body[field] !== 'string') throw new TypeError(`${field} is required`);
    }
    // The native side decodes the ID token into userProfile.
    JSON.parse(Buffer.from(String(body.id_token).split('.')[1]!, 'base64url').toString());
    if (typeof body.expires_in !== 'number') throw new TypeError('expires_in is required');
  },
  ssoCredentials(body) {
    if (typeof body.access_token !== 'string' || typeof body.issued_token_type !== 'string' || typeof body.id_token !== 'string') {
      throw new TypeError('SSOCredentials.fromMap: a required field is not a String');
    }
    if (!Number.isInteger(body.expires_in)) throw new TypeError('SSOCredentials.fromMap: expiresIn is not an int');
    return body.access_token;
  },
  error: (_status, body) => ({ code: String(body?.error ?? ''), description: String(body?.error_description ?? '') }),
  par: false,
});

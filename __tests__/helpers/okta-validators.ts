/**
 * Okta's mobile SDKs' token-response parsing and ID token / token-hash validators, ported line for
 * line from their source so the Native SSO suite (`__tests__/sdk/okta-native-sso.test.ts`) checks
 * answers exactly as the SDKs do. Each function names the file it follows.
 * - Swift: okta/okta-mobile-swift @ 73e64baf829c42dba4929cca9086929b55699d0e
 * - Kotlin: okta/okta-mobile-kotlin @ 5fcea37c42d1aa10250caec3bd5c83fe063df4c5
 */
import { createHash, createPublicKey, verify, type JsonWebKey } from 'node:crypto';

export interface Jwt {
  header: { alg?: string; kid?: string };
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): Jwt {
  const [header64, payload64, signature64] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header64!, 'base64url').toString()) as Jwt['header'],
    claims: JSON.parse(Buffer.from(payload64!, 'base64url').toString()) as Record<string, unknown>,
    signingInput: `${header64}.${payload64}`,
    signature: Buffer.from(signature64 ?? '', 'base64url'),
  };
}

/**
 * Swift `URLRequest.oktaURLFormEncodedString(for:)`
 * (`Sources/AuthFoundation/Network/Internal/FormDataExtensions.swift`): keys sorted; each key and
 * value has "\n" made "\r\n", is percent-encoded outside `urlQueryAllowed` + " " − "+/&=?", and
 * then has " " made "+".
 */
export function oktaSwiftFormBody(params: Record<string, string>): string {
  // CharacterSet.urlQueryAllowed: ASCII alphanumerics and !$&'()*+,-./:;=?@_~ ; Okta's set inserts ' ' and removes + / & = ?
  const allowed = /[A-Za-z0-9!$'()*,\-.:;@_~ ]/;
  const escape = (text: string) => [...Buffer.from(text.replaceAll('\n', '\r\n'), 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return byte < 0x80 && allowed.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('')
    .replaceAll(' ', '+');
  return Object.keys(params).sort().map((key) => `${escape(key)}=${escape(params[key]!)}`).join('&');
}

/**
 * OkHttp `FormBody.Builder.add` (the Kotlin SDK's deprecated Android flow): insertion order,
 * `FORM_ENCODE_SET` (" \"':;<=>@[]^`{}|/\\?#&!$(),~") percent-encoded, '+' as %2B, space as '+'.
 */
export function okHttpFormBody(entries: [string, string][]): string {
  const encode = (text: string) => encodeURIComponent(text)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
  return entries.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&');
}

/** The SDK's validation error, named as the SDK names it. */
export class OktaValidationError extends Error {}

/**
 * Swift `Token.init(from:)` (`Sources/AuthFoundation/Token Management/Token.swift` 217-225):
 * `access_token` required (a string), `token_type` and `expires_in` required
 * (`TokenClaim.value`: a String and a TimeInterval); the rest optional.
 */
export function swiftToken(body: Record<string, unknown>) {
  if (typeof body.access_token !== 'string') throw new OktaValidationError('ClaimError.missingRequiredValue(access_token)');
  if (typeof body.token_type !== 'string') throw new OktaValidationError('ClaimError.missingRequiredValue(token_type)');
  if (typeof body.expires_in !== 'number') throw new OktaValidationError('ClaimError.missingRequiredValue(expires_in)');
  return {
    accessToken: body.access_token, tokenType: body.token_type, expiresIn: body.expires_in,
    idToken: body.id_token as string | undefined, refreshToken: body.refresh_token as string | undefined,
    deviceSecret: body.device_secret as string | undefined, issuedTokenType: body.issued_token_type as string | undefined,
  };
}

/**
 * Kotlin `OAuth2TokenResponse` (`auth-foundation/src/commonMain/kotlin/com/okta/authfoundation/client/internal/OAuth2TokenResponse.kt`):
 * kotlinx.serialization with `token_type: String`, `expires_in: Int`, `access_token: String`
 * required; `scope`, `refresh_token`, `id_token`, `device_secret`, `issued_token_type` optional.
 */
export function kotlinTokenResponse(body: Record<string, unknown>) {
  if (typeof body.token_type !== 'string') throw new OktaValidationError('MissingFieldException token_type');
  if (!Number.isInteger(body.expires_in)) throw new OktaValidationError('MissingFieldException expires_in');
  if (typeof body.access_token !== 'string') throw new OktaValidationError('MissingFieldException access_token');
  for (const field of ['scope', 'refresh_token', 'id_token', 'device_secret', 'issued_token_type']) {
    if (field in body && typeof body[field] !== 'string') throw new OktaValidationError(`${field} must be a string`);
  }
  return body as { token_type: string; expires_in: number; access_token: string; id_token?: string; refresh_token?: string; device_secret?: string };
}

export interface IdTokenContext {
  issuer: string;
  clientId: string;
  /** The validator context's nonce: the authorization request's at a code exchange; nil (undefined) at refresh and token exchange. */
  nonce?: string;
  /** Seconds since the epoch. */
  now?: number;
  /**
   * The SDKs require an https issuer; the example provider is http://localhost:3000 (no TLS), so
   * the suite turns that one check off. Every other check runs.
   */
  httpsIssuer?: boolean;
}

/**
 * Swift `DefaultIDTokenValidator.validate` (`Sources/AuthFoundation/JWT/Internal/DefaultIDTokenValidator.swift`),
 * checks in its order: issuer (absoluteString equal), `token[.audience] == clientId` (a string
 * `aud`), https scheme, RS256, exp > now, |iat − now| <= 300 s, `token["nonce"] == context?.nonce`,
 * (maxAge: nil in every context here), non-empty sub. Throws `JWTError.<case>`.
 */
export function swiftIdTokenValidator(idToken: string, context: IdTokenContext): Record<string, unknown> {
  const { header, claims } = decodeJwt(idToken);
  const now = context.now ?? Date.now() / 1000;
  if (claims.iss !== context.issuer) throw new OktaValidationError('JWTError.invalidIssuer');
  if (claims.aud !== context.clientId) throw new OktaValidationError('JWTError.invalidAudience');
  if (context.httpsIssuer !== false && !String(claims.iss).startsWith('https:')) throw new OktaValidationError('JWTError.issuerRequiresHTTPS');
  if (header.alg !== 'RS256') throw new OktaValidationError('JWTError.unsupportedAlgorithm');
  if (typeof claims.exp !== 'number' || !(claims.exp > now)) throw new OktaValidationError('JWTError.expired');
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - now) > 300) throw new OktaValidationError('JWTError.issuedAtTimeExceedsGraceInterval');
  if (claims.nonce !== context.nonce) throw new OktaValidationError('JWTError.nonceMismatch');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new OktaValidationError('JWTError.invalidSubject');
  return claims;
}

/**
 * Swift `DefaultTokenHashValidator.validate` (`Sources/AuthFoundation/JWT/Internal/DefaultTokenHashValidator.swift`):
 * no `<hashKey>` claim → passes; RS256 only; SHA-256 of the ASCII, left half, base64url.
 */
export function swiftTokenHashValidator(hashKey: 'at_hash' | 'ds_hash', value: string, idToken: string): void {
  const { header, claims } = decodeJwt(idToken);
  const expected = claims[hashKey];
  if (typeof expected !== 'string') return;
  if (header.alg !== 'RS256') throw new OktaValidationError('JWTError.unsupportedAlgorithm');
  const hash = createHash('sha256').update(Buffer.from(value, 'ascii')).digest();
  if (hash.subarray(0, hash.length / 2).toString('base64url') !== expected) throw new OktaValidationError('JWTError.signatureInvalid');
}

/**
 * Kotlin `DefaultIdTokenValidator.validate` (`auth-foundation/src/commonMain/kotlin/com/okta/authfoundation/client/kmp/DefaultIdTokenValidator.kt`):
 * iss equal after trimming '/', `clientId in aud`, https, RS256, `exp < now` fails,
 * |iat − now| > 600 s fails (`issuedAtGracePeriodInSeconds = 600`), `nonce != parameters.nonce`
 * fails, (maxAge null here), blank sub fails.
 */
export function kotlinIdTokenValidator(idToken: string, context: IdTokenContext): Record<string, unknown> {
  const { header, claims } = decodeJwt(idToken);
  const now = Math.floor(context.now ?? Date.now() / 1000);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (String(claims.iss).replace(/\/+$/, '') !== context.issuer.replace(/\/+$/, '')) throw new OktaValidationError('Invalid issuer.');
  if (!aud.includes(context.clientId)) throw new OktaValidationError('Invalid audience.');
  if (context.httpsIssuer !== false && !String(claims.iss).startsWith('https://')) throw new OktaValidationError('Issuer must use HTTPS.');
  if (header.alg !== 'RS256') throw new OktaValidationError('Invalid JWT algorithm.');
  if (typeof claims.exp !== 'number' || claims.exp < now) throw new OktaValidationError('The current time MUST be before the time represented by the exp Claim.');
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - now) > 600) throw new OktaValidationError('Issued at time is not within the allowed threshold of now.');
  if ((claims.nonce ?? undefined) !== context.nonce) throw new OktaValidationError('Nonce mismatch.');
  if (typeof claims.sub !== 'string' || claims.sub.trim() === '') throw new OktaValidationError('A valid sub claim is required.');
  return claims;
}

/**
 * Kotlin `DefaultDeviceSecretValidator.validate` (`auth-foundation/src/commonMain/kotlin/com/okta/authfoundation/client/kmp/DefaultDeviceSecretValidator.kt`):
 * RS256 first (even with no ds_hash), no ds_hash → passes, SHA-256 of US_ASCII, left half, base64url without '='.
 */
export function kotlinDeviceSecretValidator(deviceSecret: string, idToken: string): void {
  const { header, claims } = decodeJwt(idToken);
  if (header.alg !== 'RS256') throw new OktaValidationError('Unsupported algorithm');
  if (typeof claims.ds_hash !== 'string') return;
  const sha256 = createHash('sha256').update(Buffer.from(deviceSecret, 'ascii')).digest();
  if (sha256.subarray(0, sha256.length / 2).toString('base64url') !== claims.ds_hash) {
    throw new OktaValidationError('ID Token ds_hash didn\'t match the device secret.');
  }
}

/** `JWT.validate(using: JWKS)` / the Kotlin signature check: the `kid`'s key from the JWKS verifies the RS256 signature. */
export function verifiesWithJwks(idToken: string, keys: (JsonWebKey & { kid?: string })[]): boolean {
  const { header, signingInput, signature } = decodeJwt(idToken);
  const key = keys.find((jwk) => jwk.kid === header.kid && jwk.kty === 'RSA');
  if (!key || header.alg !== 'RS256') return false;
  return verify('sha256', Buffer.from(signingInput), createPublicKey({ key, format: 'jwk' }), signature);
}

/**
 * Native SSO as Okta's mobile SDKs speak it, replayed byte for byte where their source fixes the
 * bytes, and the answers checked as the SDKs parse and validate them (`../helpers/okta-validators.ts`):
 * - Swift: okta/okta-mobile-swift @ 73e64baf829c42dba4929cca9086929b55699d0e
 *   (`Sources/OAuth2Auth/Internal/Requests/TokenExchangeFlow+Requests.swift`, `TokenExchangeFlow+Context.swift`,
 *   `Sources/AuthFoundation/OAuth2/Configuration.swift` `parameters(for:)`, `Network/Internal/FormDataExtensions.swift`,
 *   `Network/APIRequest.swift` 205-251 (headers), `Requests/Token+Requests.swift` (revoke, refresh),
 *   `OAuth2/OAuth2Client.swift` 281-293 (`exchange(token:)`: `Token.validate` with the request's
 *   validator context, then the JWKS signature), `Token Management/Token.swift` 133-147 and 217-225,
 *   `JWT/Internal/DefaultIDTokenValidator.swift`, `JWT/Internal/DefaultTokenHashValidator.swift`).
 * - Kotlin: okta/okta-mobile-kotlin @ 5fcea37c42d1aa10250caec3bd5c83fe063df4c5
 *   (`oauth2/src/androidMain/kotlin/com/okta/oauth2/TokenExchangeFlow.kt`, `oauth2/src/commonMain/kotlin/com/okta/oauth2/kmp/TokenExchangeFlowImpl.kt`,
 *   `auth-foundation/src/commonMain/kotlin/com/okta/authfoundation/client/kmp/OAuth2Client.kt` (refreshToken 180-207,
 *   revokeToken 326-337, `tokenRequest(formParams, nonce = null)`), `client/internal/OAuth2TokenResponse.kt`,
 *   `client/kmp/DefaultIdTokenValidator.kt`, `client/kmp/DefaultDeviceSecretValidator.kt`, `credential/TokenType.kt`).
 * The SDKs require an https issuer; the example provider is http://localhost:3000, so that check
 * alone is off (`httpsIssuer: false`). The `User-Agent` the Swift SDK adds is its build's string: not replayed.
 */
import { createHash, randomBytes, type JsonWebKey } from 'node:crypto';

import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { App } from 'supertest/types.js';

import { ISSUER, quitRedis, redisClient } from '../helpers/idp.js';
import { nativeSsoProvider } from '../helpers/native-sso.js';
import {
  decodeJwt, kotlinDeviceSecretValidator, kotlinIdTokenValidator, kotlinTokenResponse, okHttpFormBody, oktaSwiftFormBody,
  swiftIdTokenValidator, swiftToken, swiftTokenHashValidator, verifiesWithJwks,
} from '../helpers/okta-validators.js';

const redis = redisClient();
/** Okta's default custom authorization server's audience, which both SDKs' older flows send, allowed here. */
const idp = nativeSsoProvider({ redis, keyPrefix: 'okta-nsso:', nativeSso: { audiences: ['api://default'] } });
/** The same provider with no `nativeSso.audiences`: only the issuer is an audience. */
const strict = nativeSsoProvider({ redis, keyPrefix: 'okta-nsso-strict:' });
afterAll(() => quitRedis(redis));

const app = () => idp.app;
/** Swift `APIContentType.formEncoded.rawValue` / `.json.rawValue` (APIRequest.swift 245-251). */
const SWIFT_HEADERS = { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8', Accept: 'application/json; charset=UTF-8' };
/** The scopes of Okta's samples (Swift Samples/AuthenticationFlows.swift:37; Kotlin app/.../browser/BrowserViewModel.kt:59 adds device_sso to the default scope). */
const SAMPLE_SCOPE = 'openid profile email offline_access device_sso';
const redirectUri = (clientId: string) => `com.example.${clientId}:/callback`;

/** POSTs a raw body with exactly these headers. */
function post(target: App, path: string, body: string, headers: Record<string, string>) {
  let req = request(target).post(path);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.send(body);
}

interface SignIn {
  body: Record<string, unknown>;
  nonce: string;
}

/**
 * The first app's browser sign-in as Swift's `AuthorizationCodeFlow` makes it: PKCE and a `nonce`
 * always (`AuthorizationCodeFlow+Context.swift` 112: `additionalParameters?["nonce"] ?? .nonce()`,
 * 170-171 sent when set); the code exchange as `AuthorizationCodeFlow+Requests.swift` 46-57 merges
 * it (client params scope, client_id, redirect_uri; grant_type, code; the context's code_verifier),
 * Okta-form-encoded. The login and consent forms are the example's.
 */
async function oktaSignIn(target: App, clientId: string, scope = SAMPLE_SCOPE): Promise<SignIn> {
  const agent = request.agent(target);
  const verifier = randomBytes(32).toString('base64url');
  const nonce = randomBytes(16).toString('hex');
  const query = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUri(clientId), scope, state: randomBytes(8).toString('hex'), nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  const location = (res: request.Response) => {
    if (res.status !== 302 && res.status !== 303) throw new Error(`expected a redirect, got ${res.status}: ${res.text.slice(0, 200)}`);
    return res.headers.location!;
  };
  let next = location(await agent.get(`/auth?${query}`));
  for (let step = 0; step < 6 && !next.startsWith(redirectUri(clientId)); step += 1) {
    const url = new URL(next, ISSUER);
    const path = url.pathname + url.search;
    const page = await agent.get(path);
    if (page.status === 200 && page.text.includes('name="password"')) {
      next = location(await agent.post(`${path}/login`).type('form').send({ login: 'demo@example.com', password: 'demo' }));
    } else if (page.status === 200) {
      next = location(await agent.post(`${path}/confirm`).type('form').send({}));
    } else {
      next = location(page);
    }
  }
  const code = new URL(next).searchParams.get('code')!;
  const res = await post(target, '/token', oktaSwiftFormBody({
    client_id: clientId, code, code_verifier: verifier, grant_type: 'authorization_code', redirect_uri: redirectUri(clientId), scope,
  }), SWIFT_HEADERS);
  expect(res.status).toBe(200);
  return { body: res.body as Record<string, unknown>, nonce };
}

/** The provider's JWKS, as the SDKs fetch it from discovery's `jwks_uri`. */
async function jwks(target: App): Promise<(JsonWebKey & { kid?: string })[]> {
  const discovery = (await request(target).get('/.well-known/openid-configuration')).body as { jwks_uri: string };
  return ((await request(target).get(new URL(discovery.jwks_uri).pathname)).body as { keys: (JsonWebKey & { kid?: string })[] }).keys;
}

/**
 * Swift `OAuth2Client.exchange(token:)`: `Token` decoded, then `Token.validate` (ID token validator
 * with the request's context, at_hash against the access token, ds_hash against the response's own
 * device_secret when it has one), then the JWKS signature.
 */
async function swiftExchange(target: App, body: Record<string, unknown>, clientId: string, nonce?: string) {
  const token = swiftToken(body);
  if (token.idToken) {
    swiftIdTokenValidator(token.idToken, { issuer: ISSUER, clientId, nonce, httpsIssuer: false });
    swiftTokenHashValidator('at_hash', token.accessToken, token.idToken);
    if (token.deviceSecret) swiftTokenHashValidator('ds_hash', token.deviceSecret, token.idToken);
    expect(verifiesWithJwks(token.idToken, await jwks(target))).toBe(true);
  }
  return token;
}

/** Kotlin `OAuth2Client.processTokenResponse`: ID token validator (nonce as passed), JWKS signature, device secret validator when one came back. */
async function kotlinProcess(target: App, body: Record<string, unknown>, clientId: string, nonce?: string) {
  const token = kotlinTokenResponse(body);
  if (token.id_token) {
    kotlinIdTokenValidator(token.id_token, { issuer: ISSUER, clientId, nonce, httpsIssuer: false });
    expect(verifiesWithJwks(token.id_token, await jwks(target))).toBe(true);
    if (token.device_secret) kotlinDeviceSecretValidator(token.device_secret, token.id_token);
  }
  return token;
}

/** Swift's exchange body for app `clientId` (`TokenExchangeFlow.TokenRequest.bodyParameters`): client params, context params, the token pairs. */
function swiftExchangeBody(clientId: string, first: { idToken: string; deviceSecret: string }, audience = 'api://default', scope = 'profile openid device_sso') {
  return oktaSwiftFormBody({
    scope, client_id: clientId, audience, grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    actor_token: first.deviceSecret, actor_token_type: 'urn:x-oath:params:oauth:token-type:device-secret',
    subject_token: first.idToken, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
  });
}

/** The first app signed in, its response checked as Swift's code exchange checks it (context nonce = the one sent). */
async function firstApp(target: App) {
  const { body, nonce } = await oktaSignIn(target, 'sso-first');
  const token = await swiftExchange(target, body, 'sso-first', nonce);
  expect(token.deviceSecret).toEqual(expect.any(String));
  expect(token.refreshToken).toEqual(expect.any(String));
  return { idToken: token.idToken!, deviceSecret: token.deviceSecret!, refreshToken: token.refreshToken!, nonce, body };
}

describe('Okta Swift (okta-mobile-swift @ 73e64baf)', () => {
  it('encodes as the SDK: its own test body (Tests/OAuth2AuthTests/TokenExchangeFlowTests.swift:100) from its parameters', () => {
    expect(swiftExchangeBody('clientId', { idToken: 'id_token', deviceSecret: 'secret' })).toBe(
      'actor_token=secret&actor_token_type=urn:x-oath:params:oauth:token-type:device-secret&audience=api:%2F%2Fdefault&client_id=clientId'
      + '&grant_type=urn:ietf:params:oauth:grant-type:token-exchange&scope=profile+openid+device_sso&subject_token=id_token'
      + '&subject_token_type=urn:ietf:params:oauth:token-type:id_token',
    );
  });

  it('the first app\'s code exchange returns a device secret that passes Token.validate with the authorization nonce', async () => {
    const first = await firstApp(app());
    const claims = decodeJwt(first.idToken).claims;
    expect(claims.nonce).toBe(first.nonce);
    // DefaultTokenHashValidator(.deviceSecret) found a ds_hash to check: the left half of SHA-256, base64url.
    const hash = createHash('sha256').update(first.deviceSecret, 'ascii').digest();
    expect(claims.ds_hash).toBe(hash.subarray(0, 16).toString('base64url'));
    expect(claims.sid).toEqual(expect.any(String));
  });

  it('TokenExchangeFlow.start([.actor(.deviceSecret), .subject(.idToken)]) with audience api://default signs the second app in', async () => {
    const first = await firstApp(app());
    const body = swiftExchangeBody('sso-second', first);
    expect(body).toMatch(/^actor_token=[^&]+&actor_token_type=urn:x-oath:params:oauth:token-type:device-secret&audience=api:%2F%2Fdefault&client_id=sso-second&grant_type=urn:ietf:params:oauth:grant-type:token-exchange&scope=profile\+openid\+device_sso&subject_token=/);
    const res = await post(app(), '/token', body, SWIFT_HEADERS);
    expect(res.body.error_description).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // TokenExchangeFlow+Requests.swift: tokenValidatorContext = NullIDTokenValidatorContext (nonce nil).
    const token = await swiftExchange(app(), res.body as Record<string, unknown>, 'sso-second');
    expect(token.issuedTokenType).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(token.tokenType).toBe('Bearer');
    // No new secret: Token.validate skips ds_hash (deviceSecret nil) and the app keeps the one it used;
    // that ID token's ds_hash names the secret the app used, checked here with the SDK's hash rule.
    expect(token.deviceSecret).toBeUndefined();
    expect(() => swiftTokenHashValidator('ds_hash', first.deviceSecret, token.idToken!)).not.toThrow();
    expect(decodeJwt(token.idToken!).claims.ds_hash).toBe(decodeJwt(first.idToken).claims.ds_hash);
    expect(decodeJwt(token.idToken!).claims).toMatchObject({ sub: decodeJwt(first.idToken).claims.sub, sid: decodeJwt(first.idToken).claims.sid, aud: 'sso-second' });
  });

  it('without nativeSso.audiences, api://default is refused: invalid_target', async () => {
    const first = await firstApp(strict.app);
    const res = await post(strict.app, '/token', swiftExchangeBody('sso-second', first), SWIFT_HEADERS);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_target');
    // Context(audience: .custom(issuer)) works there.
    const ok = await post(strict.app, '/token', swiftExchangeBody('sso-second', first, ISSUER), SWIFT_HEADERS);
    expect(ok.status).toBe(200);
    await swiftExchange(strict.app, ok.body as Record<string, unknown>, 'sso-second');
  });
});

describe('Okta Kotlin (okta-mobile-kotlin @ 5fcea37c)', () => {
  /** The deprecated Android flow's FormBody, in its insertion order (TokenExchangeFlow.kt `start(idToken, deviceSecret, audience = "api://default", scope)`). */
  const androidBody = (clientId: string, idToken: string, deviceSecret: string, scope: string) => okHttpFormBody([
    ['audience', 'api://default'],
    ['subject_token_type', 'urn:ietf:params:oauth:token-type:id_token'],
    ['subject_token', idToken],
    ['actor_token_type', 'urn:x-oath:params:oauth:token-type:device-secret'],
    ['actor_token', deviceSecret],
    ['client_id', clientId],
    ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    ['scope', scope],
  ]);

  /** The KMP flow's formParams (TokenExchangeFlowImpl.kt `start`: `audience` only when non-null, the new default null). */
  const kmpParams = (clientId: string, first: { idToken: string; deviceSecret: string }, audience?: string): Record<string, string> => ({
    ...(audience === undefined ? {} : { audience }),
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    subject_token: first.idToken,
    actor_token_type: 'urn:x-oath:params:oauth:token-type:device-secret',
    actor_token: first.deviceSecret,
    client_id: clientId,
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    scope: 'openid email profile offline_access',
  });

  it('encodes as OkHttp: the SDK\'s own test body (oauth2/src/androidHostTest/.../TokenExchangeFlowTest.kt:54)', () => {
    expect(androidBody('unit_test_client_id', 'foo', 'bar', 'openid email profile offline_access')).toBe(
      'audience=api%3A%2F%2Fdefault&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token&subject_token=foo'
      + '&actor_token_type=urn%3Ax-oath%3Aparams%3Aoauth%3Atoken-type%3Adevice-secret&actor_token=bar&client_id=unit_test_client_id'
      + '&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&scope=openid+email+profile+offline_access',
    );
  });

  it('the deprecated Android TokenExchangeFlow (audience api://default) signs the second app in', async () => {
    const first = await firstApp(app());
    kotlinDeviceSecretValidator(first.deviceSecret, first.idToken);
    const res = await post(app(), '/token', androidBody('sso-second', first.idToken, first.deviceSecret, 'openid email profile offline_access'), {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(res.body.error_description).toBeUndefined();
    expect(res.status).toBe(200);
    // OAuth2Client.tokenRequest(request): nonce null for the exchange.
    const token = await kotlinProcess(app(), res.body as Record<string, unknown>, 'sso-second');
    expect(token.device_secret).toBeUndefined();
    expect(token.refresh_token).toEqual(expect.any(String));
    expect(() => kotlinDeviceSecretValidator(first.deviceSecret, token.id_token!)).not.toThrow();
    expect(decodeJwt(token.id_token!).claims.ds_hash).toBe(decodeJwt(first.idToken).claims.ds_hash);
  });

  it('the KMP TokenExchangeFlow with no audience is refused (invalid_request, our documented choice); with audience = the issuer it works', async () => {
    const first = await firstApp(app());
    const missing = await request(app()).post('/token').type('form').send(kmpParams('sso-second', first));
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('missing required parameter audience') });
    const res = await request(app()).post('/token').type('form').send(kmpParams('sso-second', first, ISSUER));
    expect(res.body.error_description).toBeUndefined();
    expect(res.status).toBe(200);
    const token = await kotlinProcess(app(), res.body as Record<string, unknown>, 'sso-second');
    expect(() => kotlinDeviceSecretValidator(first.deviceSecret, token.id_token!)).not.toThrow();
  });
});

describe('device logout: revoking the device secret', () => {
  /** Both apps signed in: the first through the browser, the second by Swift's exchange. */
  async function twoApps() {
    const first = await firstApp(app());
    const res = await post(app(), '/token', swiftExchangeBody('sso-second', first, 'api://default', SAMPLE_SCOPE), SWIFT_HEADERS);
    expect(res.status).toBe(200);
    const second = await swiftExchange(app(), res.body as Record<string, unknown>, 'sso-second');
    expect(second.refreshToken).toEqual(expect.any(String));
    return { first, second: { refreshToken: second.refreshToken! } };
  }
  const refreshOf = (clientId: string, refreshToken: string) => post(app(), '/token', oktaSwiftFormBody({
    client_id: clientId, grant_type: 'refresh_token', redirect_uri: redirectUri(clientId), refresh_token: refreshToken,
  }), SWIFT_HEADERS);

  it('Swift Token.RevokeRequest for .deviceSecret (token, client_id, token_type_hint=device_secret) ends both apps\' refresh tokens', async () => {
    const { first, second } = await twoApps();
    // Token+Requests.swift RevokeRequest.bodyParameters; Token+Enums.swift Kind.deviceSecret = "device_secret".
    const body = oktaSwiftFormBody({ token: first.deviceSecret, client_id: 'sso-first', token_type_hint: 'device_secret' });
    expect(body).toBe(`client_id=sso-first&token=${first.deviceSecret}&token_type_hint=device_secret`);
    const revoked = await post(app(), '/token/revocation', body, SWIFT_HEADERS);
    expect(revoked.status).toBe(200);
    for (const [clientId, refreshToken] of [['sso-first', first.refreshToken], ['sso-second', second.refreshToken]] as const) {
      const res = await refreshOf(clientId, refreshToken);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
  });

  it('Kotlin revokeToken(DEVICE_SECRET) (client_id, token, token_type_hint=device_secret) does the same', async () => {
    const { first, second } = await twoApps();
    // OAuth2Client.kt 330-337: "client_id", "token", "token_type_hint" (TokenType.DEVICE_SECRET → "device_secret").
    const revoked = await request(app()).post('/token/revocation').type('form')
      .send(new URLSearchParams([['client_id', 'sso-first'], ['token', first.deviceSecret], ['token_type_hint', 'device_secret']]).toString());
    expect(revoked.status).toBe(200);
    for (const [clientId, refreshToken] of [['sso-first', first.refreshToken], ['sso-second', second.refreshToken]] as const) {
      const res = await refreshOf(clientId, refreshToken);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
  });
});

describe('the first app refreshing as the SDKs do (no device_secret parameter)', () => {
  /**
   * Both SDKs send a nonce at authorization (Swift AuthorizationCodeFlow+Context.swift 112; Kotlin
   * kmp/AuthorizationCodeFlowImpl.kt 181) and validate a refreshed ID token against none:
   * - Swift `Token.from(refreshToken:using:)` (Token.swift 155-167) → `OAuth2Client.exchange(token:)`
   *   with `NullIDTokenValidatorContext` (Token+Requests.swift 169, nonce nil); `Credential.refresh()`
   *   (Credential.swift 249 → OAuth2Client.swift 155-168) merges without validating.
   * - Kotlin `OAuth2Client.refreshToken` (OAuth2Client.kt 180-207) → `tokenRequest(formParams)` with
   *   `nonce = null` → `processTokenResponse` (264) → DefaultIdTokenValidator ("Nonce mismatch.").
   * oidc-provider 9 copies the authorization's nonce into refreshed ID tokens
   * (lib/actions/grants/refresh_token.js 136); the library leaves it out, as OpenID Connect Core
   * §12.2 says (SHOULD NOT), so both paths accept the refresh.
   */
  it('Swift: a new device secret whose ds_hash the refreshed ID token carries, which Token.from(refreshToken:) validates with no nonce', async () => {
    const first = await firstApp(app());
    const body = oktaSwiftFormBody({ client_id: 'sso-first', grant_type: 'refresh_token', redirect_uri: redirectUri('sso-first'), refresh_token: first.refreshToken });
    expect(body).toBe(`client_id=sso-first&grant_type=refresh_token&redirect_uri=com.example.sso-first:%2Fcallback&refresh_token=${first.refreshToken}`);
    const res = await post(app(), '/token', body, SWIFT_HEADERS);
    expect(res.status).toBe(200);
    const token = swiftToken(res.body as Record<string, unknown>);
    // §3.4.3: no device_secret sent, so the server MUST issue one, with an ID token naming it.
    expect(token.deviceSecret).toEqual(expect.any(String));
    expect(token.deviceSecret).not.toBe(first.deviceSecret);
    expect(() => swiftTokenHashValidator('ds_hash', token.deviceSecret!, token.idToken!)).not.toThrow();
    expect(decodeJwt(token.idToken!).claims.sid).toBe(decodeJwt(first.idToken).claims.sid);
    expect(verifiesWithJwks(token.idToken!, await jwks(app()))).toBe(true);
    // Token.from(refreshToken:using:) validates with NullIDTokenValidatorContext (no nonce).
    expect(decodeJwt(token.idToken!).claims.nonce).toBeUndefined();
    expect(() => swiftIdTokenValidator(token.idToken!, { issuer: ISSUER, clientId: 'sso-first', httpsIssuer: false })).not.toThrow();
  });

  it('Kotlin: the same (client_id, grant_type, refresh_token), the refreshed ID token passing processTokenResponse with no nonce', async () => {
    const first = await firstApp(app());
    const res = await request(app()).post('/token').type('form')
      .send(new URLSearchParams([['client_id', 'sso-first'], ['grant_type', 'refresh_token'], ['refresh_token', first.refreshToken]]).toString());
    expect(res.status).toBe(200);
    const token = kotlinTokenResponse(res.body as Record<string, unknown>);
    expect(token.device_secret).toEqual(expect.any(String));
    expect(() => kotlinDeviceSecretValidator(token.device_secret!, token.id_token!)).not.toThrow();
    expect(() => kotlinIdTokenValidator(token.id_token!, { issuer: ISSUER, clientId: 'sso-first', httpsIssuer: false })).not.toThrow();
    // CredentialImpl.kt 247: `deviceSecret = token.deviceSecret ?: existing.deviceSecret`: the new one is kept, and it is the current one.
    const exchanged = await request(app()).post('/token').type('form').send({
      client_id: 'sso-second', grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', audience: ISSUER,
      subject_token: token.id_token!, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      actor_token: token.device_secret!, actor_token_type: 'urn:x-oath:params:oauth:token-type:device-secret', scope: 'openid email',
    });
    expect(exchanged.status).toBe(200);
  });
});

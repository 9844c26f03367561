/**
 * The native-SDK replay: every request a mobile SDK sends in the Native-to-Web flow, built by the
 * rules in its profile (read from its source; see each suite), against the example as `npm start`
 * runs it, with every answer decoded as the SDK decodes it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';

import { Browser } from '../../examples/browser.js';
import { DpopKey } from '../../examples/native/dpop.js';
import { auth0Client, browserSignIn, checkIdToken, send, startSdkExample, type SdkExample } from './sdk-wire.js';

export interface NativeSdk {
  /** SDK, version and source, for the test titles. */
  name: string;
  /** Headers it sends on every request (`Auth0-Client`, …). */
  headers: Record<string, string>;
  /** The `Content-Type` of its JSON bodies. */
  contentType: string;
  /** `auth0Client` query parameter on /authorize, when it sends one. */
  authorizeTelemetry?: string;
  /** Whether this code path can hold a DPoP key and prove it (`useDPoP`). */
  dpop: boolean;
  /** The session-transfer audience it builds from its configured domain. */
  audience(domain: URL): string;
  /** The issuer its ID token check expects for that domain (the scheme as the domain's). */
  issuer?(domain: URL): string;
  /** JWKS keys its ID token check keeps. */
  keepKey?(jwk: JsonWebKey): boolean;
  /** Its Credentials decoder: throws where the SDK fails. */
  credentials(body: Record<string, unknown>): void;
  /** Its SSOCredentials decoder: throws where the SDK fails; returns the transfer token. */
  ssoCredentials(body: Record<string, unknown>): string;
  /** Its error decoder. */
  error(status: number, body: Record<string, unknown> | undefined): { code: string; description: string };
  /** Whether it opens a pushed request's `request_uri` with a token beside it (Auth0.swift `PARWebAuth`, Auth0.Android `PARCodeManager`). */
  par: boolean;
}

const REDIRECT = 'com.example.native:/callback';

/**
 * How Auth0.swift talks to the provider (`Auth0/Request.swift`, `Auth0/Auth0ClientInfo.swift`,
 * `Auth0/Auth0Authentication.swift`, `Auth0/WebAuth.swift`): JSON bodies, `Auth0-Client` as
 * base64url without padding (also /authorize's `auth0Client`), a DPoP key with `useDPoP()`, the
 * audience from the domain's host without its port, the issuer `https://<domain>/` (here the
 * example's http origin). The wrappers that call it natively (react-native-auth0 on iOS,
 * auth0-flutter) send the same, with their own telemetry.
 */
export function auth0SwiftWire(telemetry: object) {
  const client = auth0Client(telemetry, 'base64url');
  return {
    headers: { 'auth0-client': client },
    contentType: 'application/json',
    authorizeTelemetry: client,
    dpop: true,
    audience: (domain: URL) => `urn:${domain.hostname}:session_transfer`,
    issuer: (domain: URL) => `${domain.origin}/`,
  } satisfies Partial<NativeSdk>;
}

export function describeNativeSdk(sdk: NativeSdk): void {
  describe(sdk.name, () => {
    let example: SdkExample;
    let domain: URL;

    beforeAll(async () => {
      example = await startSdkExample();
      domain = new URL(example.origin);
    }, 30_000);
    afterAll(() => example?.close());

    const url = (path: string) => new URL(path, domain).href;
    /** A request to the token or revocation endpoint as the SDK sends it. */
    const post = (path: string, body: Record<string, string>, key?: DpopKey) => send(url(path), {
      headers: { ...sdk.headers, 'content-type': sdk.contentType, ...(key ? { dpop: key.proof('POST', url(path)) } : {}) },
      json: body,
    });

    /** Web auth: /authorize in a browser, then the code exchange; the tokens, checked as the SDK checks them. */
    async function signIn(key?: DpopKey): Promise<Record<string, string>> {
      const verifier = randomBytes(32).toString('base64url');
      const [state, nonce] = [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')];
      const query = new URLSearchParams({
        client_id: 'example-native', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile email offline_access', state, nonce,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
        ...(sdk.authorizeTelemetry ? { auth0Client: sdk.authorizeTelemetry } : {}),
        ...(key ? { dpop_jkt: key.thumbprint } : {}),
      });
      const callback = await browserSignIn(`${url('/authorize')}?${query}`, REDIRECT);
      expect(callback.searchParams.get('state')).toBe(state);
      const res = await post('/oauth/token', {
        client_id: 'example-native', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT, grant_type: 'authorization_code',
      }, key);
      expect(res.status).toBe(200);
      sdk.credentials(res.json!);
      if (sdk.issuer) {
        await checkIdToken(res.json!.id_token, {
          issuer: sdk.issuer(domain), audience: 'example-native', nonce, alg: 'RS256',
          jwks: { url: url('/.well-known/jwks.json'), keep: sdk.keepKey ?? (() => true) },
        });
      }
      expect(res.json!.token_type).toBe(key ? 'DPoP' : 'Bearer');
      return res.json as Record<string, string>;
    }

    const mint = (refreshToken: string, key?: DpopKey) => post('/oauth/token', {
      client_id: 'example-native', grant_type: 'refresh_token', audience: sdk.audience(domain), refresh_token: refreshToken,
    }, key);

    /** The web app's profile page after `open`ing a URL in a fresh browser; the user it shows. */
    async function webUser(browser: Browser, path: string): Promise<string | undefined> {
      const page = await browser.open(new URL(path, example.webUrl).href);
      return /<h1 id="user">([^<]+)<\/h1>/.exec(page.text)?.[1];
    }

    it('signs in: the code exchange as JSON, the ID token valid by its rules', async () => {
      await signIn(sdk.dpop ? new DpopKey() : undefined);
    });

    it('renews, and the answer carries the ID token it stores', async () => {
      const key = sdk.dpop ? new DpopKey() : undefined;
      const tokens = await signIn(key);
      const res = await post('/oauth/token', { refresh_token: tokens.refresh_token!, grant_type: 'refresh_token', client_id: 'example-native' }, key);
      expect(res.status).toBe(200);
      sdk.credentials(res.json!);
      expect(res.json!.id_token).toEqual(expect.any(String));
    });

    if (sdk.dpop) {
      it('mints with a DPoP proof for the key its refresh token is bound to', async () => {
        const key = new DpopKey();
        const tokens = await signIn(key);
        const res = await mint(tokens.refresh_token!, key);
        expect(res.status).toBe(200);
        expect(sdk.ssoCredentials(res.json!)).toEqual(expect.any(String));
      });

      it('without the proof, is refused with an error it decodes, and keeps its refresh token', async () => {
        const key = new DpopKey();
        const tokens = await signIn(key);
        const refused = await mint(tokens.refresh_token!);
        expect(sdk.error(refused.status, refused.json).code).toBe('invalid_grant');
        expect((await mint(tokens.refresh_token!, key)).status).toBe(200);
      });
    }

    it('mints without DPoP', async () => {
      const tokens = await signIn();
      const res = await mint(tokens.refresh_token!);
      expect(res.status).toBe(200);
      expect(sdk.ssoCredentials(res.json!)).toEqual(expect.any(String));
    });

    it('revokes its refresh token; a renewal is then refused with an error it decodes', async () => {
      const tokens = await signIn();
      const revoked = await post('/oauth/revoke', { client_id: 'example-native', token: tokens.refresh_token! });
      expect(revoked.status).toBeGreaterThanOrEqual(200);
      expect(revoked.status).toBeLessThan(300);
      const renewed = await post('/oauth/token', { refresh_token: tokens.refresh_token!, grant_type: 'refresh_token', client_id: 'example-native' });
      expect(sdk.error(renewed.status, renewed.json)).toMatchObject({ code: 'invalid_grant', description: expect.any(String) });
    });

    it('hands the token over by query: the web app login signs the browser in', async () => {
      const token = sdk.ssoCredentials((await mint((await signIn()).refresh_token!)).json!);
      expect(await webUser(new Browser(), `/login?session_transfer_token=${token}`)).toBe('demo@example.com');
    });

    it('hands the token over by cookie on the provider\'s domain: the web app login signs the browser in', async () => {
      const token = sdk.ssoCredentials((await mint((await signIn()).refresh_token!)).json!);
      const browser = new Browser();
      browser.setCookie(example.origin, 'auth0_session_transfer_token', token);
      expect(await webUser(browser, '/login')).toBe('demo@example.com');
    });

    if (sdk.par) {
      it('opens a pushed request with the token beside request_uri: the browser is signed in', async () => {
        const token = sdk.ssoCredentials((await mint((await signIn()).refresh_token!)).json!);
        const callback = `${example.webUrl}/callback`;
        // The app's backend pushes the request (the SDK does not); the app opens the front channel.
        const pushed = await send(url('/oauth/par'), {
          headers: { authorization: `Basic ${Buffer.from('example-web:example-web-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          form: { client_id: 'example-web', response_type: 'code', redirect_uri: callback, scope: 'openid' },
        });
        expect(pushed.status).toBe(201);
        const front = new URLSearchParams({ client_id: 'example-web', request_uri: String(pushed.json!.request_uri), session_transfer_token: token });
        const page = await new Browser().open(`${url('/authorize')}?${front}`, undefined, callback);
        expect(new URL(page.url).searchParams.get('code')).toEqual(expect.any(String));
      });
    }
  });
}

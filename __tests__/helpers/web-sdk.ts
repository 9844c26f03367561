/**
 * The web-SDK replay: a web app built on an Auth0 web SDK forwards a Session Transfer Token to the
 * authorization request (or pushes it), exchanges the code and checks the ID token, each step as
 * the SDK's source does it (see each suite), against the example as `npm start` runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';

import type { ClientMetadata } from 'oidc-provider';

import { Browser } from '../../examples/browser.js';
import { NativeApp } from '../../examples/native/app.js';
import { checkIdToken, formPostFields, send, startSdkExample, type Reply, type SdkExample } from './sdk-wire.js';

export interface Endpoints {
  issuer: string;
  authorization: string;
  token: string;
  par?: string;
  endSession?: string;
}

export interface Transaction {
  state: string;
  nonce: string;
  verifier: string;
  challenge: string;
}

export interface WebSdk {
  /** SDK, version and source, for the test titles. */
  name: string;
  /** The client the web app is registered as (its authentication method and redirect URI). */
  client: ClientMetadata & { client_id: string; redirect_uris: string[] };
  /** Where it finds the endpoints: discovery, or Auth0's fixed paths. */
  endpoints(origin: string, discovered: Endpoints): Endpoints;
  /** The authorization request's parameters as it builds them (the token is added by the app). */
  authorize(tx: Transaction): Record<string, string>;
  /** How the authorization response arrives. */
  responseMode: 'query' | 'form_post';
  /** It pushes the request when configured to, the token inside (PAR). */
  par: boolean;
  /** Headers on its back-channel requests. */
  headers: Record<string, string>;
  /** Its client authentication: form fields and headers. */
  clientAuth: { form?: Record<string, string>; headers?: Record<string, string> };
  /** Its code exchange body (besides client authentication). */
  exchange(code: string, tx: Transaction): Record<string, string>;
  /** Checks it makes of the code exchange's HTTP answer (CORS for a browser SDK). */
  checkExchange?(reply: Reply): void;
  /** It requires the callback's `iss` parameter (RFC 9207) to be the issuer. */
  requiresIss: boolean;
  /** The issuer its ID token check expects, and whether it verifies the signature. */
  idTokenIssuer(endpoints: Endpoints): string;
  verifiesSignature: boolean;
  /** Its logout URL after a login, when it sends the browser to the provider. */
  logout?(endpoints: Endpoints, idToken: string): string;
}

export function describeWebSdk(sdk: WebSdk): void {
  describe(sdk.name, () => {
    let example: SdkExample;
    let endpoints: Endpoints;
    const redirectUri = sdk.client.redirect_uris[0]!;

    beforeAll(async () => {
      example = await startSdkExample([sdk.client]);
      const discovery = (await send(new URL('.well-known/openid-configuration', example.issuer), { method: 'GET' })).json as Record<string, string>;
      endpoints = sdk.endpoints(example.origin, {
        issuer: discovery.issuer!,
        authorization: discovery.authorization_endpoint!,
        token: discovery.token_endpoint!,
        par: discovery.pushed_authorization_request_endpoint,
        endSession: discovery.end_session_endpoint,
      });
    }, 30_000);
    afterAll(() => example?.close());

    /** What the native app hands over: a token minted as the Auth0 SDKs mint it. */
    async function transferToken(): Promise<string> {
      const app = new NativeApp({ issuer: example.issuer });
      return (await app.mint((await app.signIn('demo@example.com', 'demo')).refresh_token)).token;
    }

    function transaction(): Transaction {
      const verifier = randomBytes(32).toString('base64url');
      return {
        state: randomBytes(16).toString('base64url'),
        nonce: randomBytes(16).toString('base64url'),
        verifier,
        challenge: createHash('sha256').update(verifier).digest('base64url'),
      };
    }

    /** The browser at the authorization endpoint, until the response reaches the web app. */
    async function respond(browser: Browser, url: string): Promise<Record<string, string>> {
      const page = await browser.open(url, undefined, redirectUri);
      if (sdk.responseMode === 'form_post') {
        expect(page.text).toContain(`action="${redirectUri}"`);
        return formPostFields(page.text);
      }
      expect(page.url.startsWith(redirectUri)).toBe(true);
      return Object.fromEntries(new URL(page.url).searchParams);
    }

    /** The web app's callback: checks, code exchange, ID token; the claims. */
    async function callback(response: Record<string, string>, tx: Transaction): Promise<{ claims: Record<string, unknown>; idToken: string }> {
      expect(response.state).toBe(tx.state);
      if (sdk.requiresIss) expect(response.iss).toBe(endpoints.issuer);
      expect(response.code).toEqual(expect.any(String));
      const reply = await send(endpoints.token, {
        headers: { ...sdk.headers, 'content-type': 'application/x-www-form-urlencoded', ...sdk.clientAuth.headers },
        form: { ...sdk.exchange(response.code!, tx), ...sdk.clientAuth.form },
      });
      expect(reply.status).toBe(200);
      sdk.checkExchange?.(reply);
      expect(String(reply.json!.token_type).toLowerCase()).toMatch(/^(bearer|dpop)$/);
      const claims = await checkIdToken(reply.json!.id_token, {
        issuer: sdk.idTokenIssuer(endpoints), audience: sdk.client.client_id, nonce: tx.nonce, alg: 'RS256',
        ...(sdk.verifiesSignature ? { jwks: { url: new URL('/.well-known/jwks.json', example.origin).href, keep: () => true } } : {}),
      });
      return { claims, idToken: reply.json!.id_token as string };
    }

    it('forwards the token on the authorization request: signed in with no login form, and its checks pass', async () => {
      const tx = transaction();
      const query = new URLSearchParams({ ...sdk.authorize(tx), session_transfer_token: await transferToken() });
      const { claims } = await callback(await respond(new Browser(), `${endpoints.authorization}?${query}`), tx);
      expect(claims).toMatchObject({ sub: 'demo', amr: expect.arrayContaining(['session_transfer']) });
    });

    it('logs in as usual where the native app set the cookie: signed in with no login form', async () => {
      const browser = new Browser();
      browser.setCookie(example.origin, 'auth0_session_transfer_token', await transferToken());
      const tx = transaction();
      const { claims } = await callback(await respond(browser, `${endpoints.authorization}?${new URLSearchParams(sdk.authorize(tx))}`), tx);
      expect(claims.amr).toContain('session_transfer');
    });

    if (sdk.par) {
      it('pushes the request with the token inside: the front channel signs the browser in', async () => {
        const tx = transaction();
        const pushed = await send(endpoints.par!, {
          headers: { ...sdk.headers, 'content-type': 'application/x-www-form-urlencoded', ...sdk.clientAuth.headers },
          form: { ...sdk.authorize(tx), session_transfer_token: await transferToken(), ...sdk.clientAuth.form },
        });
        expect(pushed.status).toBe(201);
        const front = new URLSearchParams({ client_id: sdk.client.client_id, request_uri: String(pushed.json!.request_uri) });
        const { claims } = await callback(await respond(new Browser(), `${endpoints.authorization}?${front}`), tx);
        expect(claims.amr).toContain('session_transfer');
      });
    }

    if (sdk.logout) {
      it('sends the browser to the provider\'s logout, which accepts its request', async () => {
        const browser = new Browser();
        const tx = transaction();
        const query = new URLSearchParams({ ...sdk.authorize(tx), session_transfer_token: await transferToken() });
        const { idToken } = await callback(await respond(browser, `${endpoints.authorization}?${query}`), tx);
        const page = await browser.open(sdk.logout!(endpoints, idToken));
        expect(page.status).toBe(200);
        // The confirmation form, not an error page.
        expect(page.text).toContain('name="xsrf"');
      });
    }
  });
}

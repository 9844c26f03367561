import { createHash, randomBytes } from 'node:crypto';

import { Browser } from '../browser.js';
import { DpopKey } from './dpop.js';
import { authorizeInteractively } from './sign-in.js';

export type MintForm = 'auth0' | 'rfc8693';

export interface NativeAppOptions {
  /** The provider's base URL (where the app sends requests). */
  issuer: string;
  clientId?: string;
  redirectUri?: string;
  /**
   * As the Auth0 SDKs do (the default): Auth0's fixed paths, JSON bodies, a DPoP key. Each can be
   * turned off: `auth0Paths: false` reads the paths from discovery, `json: false` posts forms.
   */
  auth0Paths?: boolean;
  json?: boolean;
  /** A DPoP key of its own (`true`, the default), none (`false`), or one shared with another view of the app. */
  dpop?: boolean | DpopKey;
  /** The host in the session-transfer audience; the issuer's by default. */
  audienceHost?: string;
}

export interface NativeTokens {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  id_token?: string;
}

export interface Minted {
  /** The Session Transfer Token. */
  token: string;
  expiresIn: number;
  /** The rotated refresh token, when the provider rotates: the app must keep it. */
  refreshToken?: string;
}

interface Endpoints {
  authorization: string;
  token: string;
}

/** The paths the Auth0 SDKs hard-code (Auth0.swift `Auth0Authentication`, Auth0.Android `AuthenticationAPIClient`). */
const AUTH0_PATHS: Endpoints = { authorization: '/authorize', token: '/oauth/token' };

type Answer = Record<string, unknown> & { error?: string; error_description?: string };

/**
 * What a native app does against the provider, shaped like the Auth0 SDKs by default
 * (Auth0.swift `Auth0Authentication`, Auth0.Android `AuthenticationAPIClient`): it signs in with
 * authorization code + PKCE, holds a refresh token (bound to its DPoP key when it has one), and
 * mints Session Transfer Tokens. A DPoP request answered `use_dpop_nonce` is sent once more with
 * the nonce, as the SDKs retry.
 */
export class NativeApp {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly dpop: DpopKey | undefined;
  readonly #issuer: URL;
  readonly #auth0Paths: boolean;
  readonly #json: boolean;
  readonly #audienceHost: string;
  #endpoints: Promise<Endpoints> | undefined;
  #nonce: string | undefined;

  constructor({
    issuer, clientId = 'example-native', redirectUri = 'com.example.native:/callback',
    auth0Paths = true, json = true, dpop = true, audienceHost,
  }: NativeAppOptions) {
    this.#issuer = new URL(issuer);
    this.clientId = clientId;
    this.redirectUri = redirectUri;
    this.#auth0Paths = auth0Paths;
    this.#json = json;
    this.dpop = dpop === true ? new DpopKey() : dpop || undefined;
    this.#audienceHost = audienceHost ?? this.#issuer.host;
  }

  endpoints(): Promise<Endpoints> {
    this.#endpoints ??= this.#auth0Paths
      ? Promise.resolve({
        authorization: new URL(AUTH0_PATHS.authorization, this.#issuer).href,
        token: new URL(AUTH0_PATHS.token, this.#issuer).href,
      })
      : fetch(new URL('.well-known/openid-configuration', `${this.#issuer.href.replace(/\/?$/, '/')}`))
        .then((response) => response.json() as Promise<{ authorization_endpoint: string; token_endpoint: string }>)
        .then(({ authorization_endpoint, token_endpoint }) => ({ authorization: authorization_endpoint, token: token_endpoint }));
    return this.#endpoints;
  }

  /** A token-endpoint request as JSON or a form, with a DPoP proof when the app has a key. */
  async #post(params: Record<string, string>): Promise<{ status: number; body: Answer }> {
    const { token } = await this.endpoints();
    for (let attempt = 1; ; attempt += 1) {
      const response = await fetch(token, {
        method: 'POST',
        headers: {
          'content-type': this.#json ? 'application/json' : 'application/x-www-form-urlencoded',
          ...(this.dpop ? { dpop: this.dpop.proof('POST', token, { nonce: this.#nonce }) } : {}),
        },
        body: this.#json ? JSON.stringify(params) : new URLSearchParams(params).toString(),
      });
      this.#nonce = response.headers.get('dpop-nonce') ?? this.#nonce;
      const body = await response.json() as Answer;
      if (body.error !== 'use_dpop_nonce' || attempt > 1) return { status: response.status, body };
    }
  }

  /** Authorization code + PKCE in a scripted browser (login and consent forms), then the exchange. */
  async signIn(login: string, password: string, scope = 'openid profile email offline_access'): Promise<NativeTokens> {
    const verifier = randomBytes(32).toString('base64url');
    const authorization = new URL((await this.endpoints()).authorization);
    authorization.search = new URLSearchParams({
      client_id: this.clientId,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await authorizeInteractively(new Browser(), authorization.href, { login, password, redirectUri: this.redirectUri });
    const code = callback.searchParams.get('code')!;
    const { status, body } = await this.#post({
      grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: this.redirectUri, client_id: this.clientId,
    });
    if (status !== 200) throw new Error(`code exchange failed: ${body.error} ${body.error_description ?? ''}`);
    return body as unknown as NativeTokens;
  }

  /**
   * Exchanges a refresh token for a Session Transfer Token: Auth0's form (a refresh_token grant
   * with the session-transfer audience, what the SDKs' `ssoExchange` sends) or RFC 8693's.
   */
  async mint(refreshToken: string, form: MintForm = 'auth0'): Promise<Minted> {
    const params: Record<string, string> = form === 'auth0'
      ? { grant_type: 'refresh_token', client_id: this.clientId, refresh_token: refreshToken, audience: `urn:${this.#audienceHost}:session_transfer` }
      : {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: this.clientId,
        subject_token: refreshToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        requested_token_type: 'urn:auth0:params:oauth:token-type:session_transfer_token',
      };
    const { status, body } = await this.#post(params);
    if (status !== 200 || typeof body.access_token !== 'string') throw new Error(`mint refused: ${body.error} ${body.error_description ?? ''}`);
    return { token: body.access_token, expiresIn: Number(body.expires_in ?? 0), refreshToken: body.refresh_token as string | undefined };
  }
}

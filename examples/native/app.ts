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
  /** With the `device_sso` scope, from a Native SSO app: the device secret of its device session. */
  device_secret?: string;
}

/** What a Native SSO app keeps to let another app of its vendor sign in (the spec's shared keychain). */
export interface DeviceCredentials {
  id_token: string;
  device_secret: string;
}

/** The `scope` the simulator's apps ask for: `device_sso` makes a Native SSO app's sign-in return a device secret. */
export const NATIVE_SSO_SCOPE = 'openid profile email offline_access device_sso';
/** `grant_type` of the Native SSO exchange (RFC 8693 token exchange). */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** `subject_token_type` and `actor_token_type` of the Native SSO exchange (Native SSO 1.0 §4.1). */
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const DEVICE_SECRET_TYPE = 'urn:openid:params:token-type:device-secret';

/** An ID token's claims, unverified: the app shows what it was given (the provider checks them when they come back). */
export function idTokenClaims(idToken: string): Record<string, unknown> & { sub?: string; sid?: string; ds_hash?: string } {
  return JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
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
  revocation: string;
}

/** The paths the Auth0 SDKs hard-code (Auth0.swift `Auth0Authentication`, Auth0.Android `AuthenticationAPIClient`). */
const AUTH0_PATHS: Endpoints = { authorization: '/authorize', token: '/oauth/token', revocation: '/oauth/revoke' };

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
        revocation: new URL(AUTH0_PATHS.revocation, this.#issuer).href,
      })
      : fetch(new URL('.well-known/openid-configuration', `${this.#issuer.href.replace(/\/?$/, '/')}`))
        .then((response) => response.json() as Promise<{ authorization_endpoint: string; token_endpoint: string; revocation_endpoint: string }>)
        .then(({ authorization_endpoint, token_endpoint, revocation_endpoint }) => ({
          authorization: authorization_endpoint, token: token_endpoint, revocation: revocation_endpoint,
        }));
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

  /**
   * Native SSO (OpenID Connect Native SSO 1.0 §4): signs this app in with no browser from another
   * app's ID token and the device secret both keep in the shared keychain. The answer is this
   * app's own access, refresh and ID tokens, in the same device session (the same `sid`).
   */
  async nativeSso({ id_token: idToken, device_secret: deviceSecret }: DeviceCredentials, scope = NATIVE_SSO_SCOPE): Promise<NativeTokens> {
    const { status, body } = await this.#post({
      grant_type: TOKEN_EXCHANGE,
      client_id: this.clientId,
      audience: this.#issuer.href,
      subject_token: idToken,
      subject_token_type: ID_TOKEN_TYPE,
      actor_token: deviceSecret,
      actor_token_type: DEVICE_SECRET_TYPE,
      scope,
    });
    if (status !== 200 || typeof body.access_token !== 'string') throw new Error(`Native SSO refused: ${body.error} ${body.error_description ?? ''}`);
    return body as unknown as NativeTokens;
  }

  /** A refresh: the answer (with a new refresh token when the provider rotates), or the refusal's `error`. */
  async refresh(refreshToken: string): Promise<{ status: number; body: Answer }> {
    return this.#post({ grant_type: 'refresh_token', client_id: this.clientId, refresh_token: refreshToken });
  }

  /**
   * Revokes a token at the revocation endpoint (RFC 7009). A device secret
   * (`token_type_hint=device_secret`, as Okta's SDKs send it) ends its whole device session: every
   * app signed in under it and the web sessions they started with transfer tokens.
   */
  async revoke(token: string, tokenTypeHint?: 'device_secret' | 'refresh_token'): Promise<void> {
    const { revocation } = await this.endpoints();
    const params = { client_id: this.clientId, token, ...(tokenTypeHint ? { token_type_hint: tokenTypeHint } : {}) };
    const response = await fetch(revocation, {
      method: 'POST',
      headers: { 'content-type': this.#json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: this.#json ? JSON.stringify(params) : new URLSearchParams(params).toString(),
    });
    if (response.status !== 200) {
      const body = await response.json().catch(() => ({})) as Answer;
      throw new Error(`revocation refused (${response.status}): ${body.error ?? ''} ${body.error_description ?? ''}`);
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

/**
 * What a support console's backend does for Session Delegation, with openid-client as
 * `@auth0/auth0-server-js` does: its agent signs in (authorization code flow, a confidential
 * client), then it exchanges a ticket and the agent's ID token (the actor) for a delegated
 * Session Transfer Token, and sends the agent to the web app's login with it.
 */
import * as oidc from 'openid-client';

import { Browser } from '../browser.js';
import { SUPPORT_CONSOLE_CALLBACK, SUPPORT_TICKET_TYPE, TICKET_PREFIX } from '../idp/support.js';
import { authorizeInteractively } from '../native/sign-in.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

export interface SupportConsoleOptions {
  /** The provider's issuer. */
  issuer: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
}

/** An agent signed in to the console. */
export interface Agent {
  /** Their account id at the provider (the `act.sub` of what they mint). */
  sub: string;
  /** Their ID token: the actor of every token the console mints for them. */
  idToken: string;
}

export interface Delegated {
  /** The delegated Session Transfer Token. */
  token: string;
  expiresIn: number;
}

/** The provider refused a request: its OAuth error, as it answered. */
export class OAuthRefusal extends Error {
  /** What was refused: "the token exchange", "the agent's code exchange". */
  readonly request: string;
  readonly error: string;
  readonly description: string | undefined;

  constructor(request: string, error: string, description: string | undefined) {
    super(`${request} was refused: ${error}${description ? ` (${description})` : ''}`);
    this.request = request;
    this.error = error;
    this.description = description;
  }
}

/** openid-client's error for an OAuth error answer, as an OAuthRefusal of `request`; anything else as it is. */
function refusal(request: string) {
  return (err: unknown): never => {
    if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
      throw new OAuthRefusal(request, err.error, err.error_description);
    }
    throw err;
  };
}

/** The example's support console: the `support-console` client of `npm start`'s provider. */
export class SupportConsole {
  readonly #issuer: string;
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #redirectUri: string;
  #configuration: Promise<oidc.Configuration> | undefined;

  constructor({ issuer, clientId = 'support-console', clientSecret = 'support-console-secret', redirectUri = SUPPORT_CONSOLE_CALLBACK }: SupportConsoleOptions) {
    this.#issuer = issuer;
    this.#clientId = clientId;
    this.#clientSecret = clientSecret;
    this.#redirectUri = redirectUri;
  }

  #discovered(): Promise<oidc.Configuration> {
    this.#configuration ??= oidc.discovery(new URL(this.#issuer), this.#clientId, this.#clientSecret, undefined, {
      execute: new URL(this.#issuer).protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
    });
    return this.#configuration;
  }

  /** The agent signs in to the console (login form in a scripted browser, then the code exchange). */
  async signIn(login: string, password: string): Promise<Agent> {
    const configuration = await this.#discovered();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorization = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await authorizeInteractively(new Browser(), authorization.href, { login, password, redirectUri: this.#redirectUri });
    const tokens = await oidc.authorizationCodeGrant(configuration, callback, { pkceCodeVerifier: verifier, expectedState: state })
      .catch(refusal('the agent\'s code exchange'));
    return { sub: tokens.claims()!.sub, idToken: tokens.id_token! };
  }

  /**
   * A delegated token for the user `email` names, with `agent` as the actor: RFC 8693 token
   * exchange of the example's ticket (`ticket:<email>`), as Auth0's SDKs send it (no
   * requested_token_type), for any of the provider's web clients that accept delegated tokens.
   * Without `scope` the session may have the OpenID Connect scopes the web app asks for; with one,
   * no more (a delegated session never prompts: a scope beyond the token's is consent_required).
   */
  async delegate(agent: Agent, email: string, scope?: string): Promise<Delegated> {
    const configuration = await this.#discovered();
    const answer = await oidc.genericGrantRequest(configuration, TOKEN_EXCHANGE, {
      subject_token: `${TICKET_PREFIX}${email}`,
      subject_token_type: SUPPORT_TICKET_TYPE,
      actor_token: agent.idToken,
      actor_token_type: ID_TOKEN_TYPE,
      audience: `urn:${new URL(this.#issuer).host}:session_transfer`,
      ...(scope ? { scope } : {}),
    }).catch(refusal('the token exchange'));
    return { token: answer.access_token, expiresIn: answer.expires_in ?? 0 };
  }
}

/** Where the agent opens the token: the web app's login route, which forwards it to the provider. */
export function delegationLink(webUrl: string, token: string): URL {
  const link = new URL('/login', webUrl);
  link.searchParams.set('session_transfer_token', token);
  return link;
}

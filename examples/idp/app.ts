import { generateKeyPairSync, randomBytes } from 'node:crypto';

import express from 'express';
import Provider, { type ClientMetadata, type Configuration, type JWK } from 'oidc-provider';

// Outside this repository: import { sessionTransfer, ... } from 'oidc-session-transfer';
import {
  redactUrl, sessionTransfer, type AuthenticationMethod, type ClientSessionTransferInput, type DeviceBindingMode,
  type SessionTransfer, type SessionTransferOptions,
} from '../../lib/index.js';
import { findAccount } from './accounts.js';
import { exampleDelegation, supportConsoleClient } from './support.js';
import { accountRoutes } from './account.js';
import { interactionRoutes } from './interactions.js';
import { logoutSource, postLogoutSuccessSource } from './views.js';

/**
 * The example's native app: public, authorization code + PKCE, may mint transfer tokens, and a
 * Native SSO app: a sign-in with the `device_sso` scope also returns a device secret.
 */
export const nativeClient: ClientMetadata = {
  client_id: 'example-native',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  redirect_uris: ['com.example.native:/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  session_transfer: { can_create_session_transfer_token: true, native_sso: true },
};

/**
 * The example's second native app, by the same vendor: a Native SSO app too, so it signs in with
 * no browser from `example-native`'s ID token and device secret (the token exchange), and may mint
 * transfer tokens. Its redirect URI serves a browser sign-in when there is no device session.
 */
export const secondNativeClient: ClientMetadata = {
  ...nativeClient,
  client_id: 'example-native-second',
  redirect_uris: ['com.example.second:/callback'],
};

/** Where the example SPA runs unless told (`SPA_URL`). */
export const DEFAULT_SPA_URL = 'http://localhost:3002/';

/** How the example's browser clients take transfer tokens (`CONFIRM_QUERY_TRANSFERS`, `DEVICE_BINDING_MODE`). */
export interface TransferAcceptance {
  /** A query-delivered token is signed in only once the user confirms (login CSRF defence). Default false. */
  confirmQueryTransfers?: boolean;
  /** `log_only`: an IP mismatch is only reported (counted with `session_transfer.log_only=true`) and the transfer goes ahead. Default `enforce`. */
  deviceBindingMode?: DeviceBindingMode;
}

/** First-party, bound to the minting device's IP: a token arriving by one of `methods` signs the browser in. */
function acceptTransfers(methods: AuthenticationMethod[], { confirmQueryTransfers = false, deviceBindingMode = 'enforce' }: TransferAcceptance) {
  return {
    is_first_party: true,
    session_transfer: {
      allowed_authentication_methods: methods,
      enforce_device_binding: 'ip',
      device_binding_mode: deviceBindingMode,
      confirm_query_transfers: confirmQueryTransfers,
    } satisfies ClientSessionTransferInput,
  };
}

/**
 * The example's web app at `webAppUrl` (confidential, server-side): accepts transfer tokens by
 * cookie or query, and the support console's delegated ones (by query only, as Auth0 holds them).
 */
export function webClient(webAppUrl = 'http://localhost:3001', acceptance: TransferAcceptance = {}): ClientMetadata {
  const accepting = acceptTransfers(['cookie', 'query'], acceptance);
  return {
    client_id: 'example-web',
    client_secret: 'example-web-secret',
    redirect_uris: [new URL('/callback', webAppUrl).href],
    post_logout_redirect_uris: [new URL('/', webAppUrl).href],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...accepting,
    session_transfer: { ...accepting.session_transfer, delegation: { allow_delegated_access: true } },
  };
}

/**
 * Where a single-page app at each of `spaUrls` returns: the URL itself and, for a bare origin, the
 * origin without its "/" too, since SPAs often send `window.location.origin`.
 */
function spaRedirectUris(spaUrls: readonly string[]): string[] {
  return [...new Set(spaUrls.flatMap((address) => {
    const url = new URL(address);
    return url.pathname === '/' && !url.search ? [url.origin, url.href] : [url.href];
  }))];
}

/**
 * The example's single-page app (auth0-spa-js, say) at `spaUrls`: public, authorization code +
 * PKCE (oidc-provider requires S256 of public clients), answered with CORS from the origins of its
 * redirect URIs; accepts transfer tokens by query, as `sessionTransferTokenQueryParamName` sends them.
 */
export function spaClient(spaUrls: readonly string[] = [DEFAULT_SPA_URL], acceptance: TransferAcceptance = {}): ClientMetadata {
  const redirectUris = spaRedirectUris(spaUrls);
  return {
    client_id: 'example-spa',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...acceptTransfers(['query'], acceptance),
  };
}

/** The example's own clients: `example-native`, `example-native-second`, `example-web`, `example-spa` and `support-console`. */
export function exampleClients({ webAppUrl, spaUrls, ...acceptance }: Pick<ExampleOptions, 'webAppUrl' | 'spaUrls'> & TransferAcceptance = {}): ClientMetadata[] {
  return [nativeClient, secondNativeClient, webClient(webAppUrl, acceptance), spaClient(spaUrls, acceptance), supportConsoleClient];
}

/**
 * CORS at the provider's endpoints: a browser app calls the token endpoint from its own origin.
 * Public clients (SPAs) get it for the origins of their redirect URIs; confidential ones call
 * from servers and get none. (oidc-provider's default is close, but warns that it wants replacing.)
 */
const clientBasedCORS: NonNullable<Configuration['clientBasedCORS']> = (_ctx, origin, client) =>
  origin !== 'null' && client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);

let signingKey: JWK | undefined;
/**
 * An RSA key made once per process. A real provider loads its keys from a secret store. `alg` and
 * `use` are published: Auth0.Android keeps only JWKS keys with `alg: "RS256"` and `use: "sig"`.
 */
function exampleSigningKey(): JWK {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    alg: 'RS256',
    use: 'sig',
  } as JWK;
  return signingKey;
}

export interface ExampleOptions extends TransferAcceptance {
  issuer: string;
  /**
   * Where tokens are kept: `{ redis }` or `{ store }` (see the library's options). `delegation` is
   * the example's profile (`exampleDelegation`) unless given; Native SSO is on (`nativeSso: {}`,
   * the defaults) unless given (`nativeSso: undefined` turns it off).
   */
  transfer: SessionTransferOptions;
  /**
   * Clients besides the example's own (the tests add some; `CLIENTS_FILE` too). One with the
   * `client_id` of one of the example's own takes its place, so a test can tailor it.
   */
  clients?: ClientMetadata[];
  /** oidc-provider settings to override (the tests set a few). */
  configuration?: Configuration;
  /** Where to write one line per request (`ACCESS_LOG=1 npm start`); none by default. */
  accessLog?: (line: string) => void;
  /** Keys that sign the provider's cookies; processes sharing sessions need the same. Random by default. */
  cookieKeys?: string[];
  /** Where the example web app runs (its redirect URIs). Default `http://localhost:3001`. */
  webAppUrl?: string;
  /** Where the example SPA runs (`example-spa`'s redirect URIs and CORS origins). Default `http://localhost:3002/`. */
  spaUrls?: string[];
  /** Signing keys; processes serving one issuer need the same. A key made at start by default. */
  signingKeys?: JWK[];
}

export interface ExampleIdentityProvider {
  app: express.Express;
  provider: Provider;
  transfer: SessionTransfer;
}

/** The example identity provider: oidc-provider in Express, with Native-to-Web SSO and Native SSO added. */
export function createIdentityProvider({
  issuer, transfer: transferOptions, clients = [], configuration, accessLog,
  cookieKeys = [randomBytes(32).toString('base64url')], webAppUrl, spaUrls, signingKeys = [exampleSigningKey()], confirmQueryTransfers,
  deviceBindingMode,
}: ExampleOptions): ExampleIdentityProvider {
  const transfer = sessionTransfer({ delegation: exampleDelegation, nativeSso: {}, ...transferOptions });
  const given = new Set(clients.map((client) => client.client_id));
  const ownClients = exampleClients({ webAppUrl, spaUrls, confirmQueryTransfers, deviceBindingMode }).filter((client) => !given.has(client.client_id));

  // 1. Pass the provider configuration through the library.
  const provider = new Provider(issuer, transfer.configure({
    clients: [...ownClients, ...clients],
    clientBasedCORS,
    findAccount,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { logoutSource, postLogoutSuccessSource },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    cookies: { keys: cookieKeys },
    jwks: { keys: signingKeys },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
    },
    ...configuration,
  }));
  // 2. Attach the library to the provider (and the app, whose `trust proxy` it aligns).
  const app = express();
  transfer.attach(provider, { app });

  // 3. Mount as usual: your own routes, then the provider.
  if (accessLog) {
    // Access logs outlive single-use tokens: never write a session_transfer_token to one.
    app.use((req, _res, next) => {
      accessLog(`${req.method} ${redactUrl(req.originalUrl)}`);
      next();
    });
  }
  app.use(interactionRoutes(provider, transfer));
  app.use(accountRoutes(provider));
  app.use(provider.callback());
  return { app, provider, transfer };
}

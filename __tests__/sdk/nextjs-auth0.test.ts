/**
 * nextjs-auth0 4.27.0 (github.com/auth0/nextjs-auth0, commit a620c70045b9e82b2cbaabc90e5ea62ab07a965f; oauth4webapi 3.8.7):
 * - the token: `src/server/auth-client.ts` `handleLogin` forwards every query parameter of
 *   `/auth/login` (so `session_transfer_token`) to the authorization request, and with
 *   `pushedAuthorizationRequests: true` into the pushed request's body (`authorizationUrl`), the
 *   front channel then carrying only `client_id` and `request_uri`;
 * - endpoints from discovery (`discoveryRequest`); the issuer must equal the configured one;
 * - authorization request (`startInteractiveLogin`): `scope` `openid profile email offline_access`,
 *   `client_id`, `redirect_uri`, `response_type=code`, PKCE S256, `state`, `nonce`; no `response_mode`;
 * - client authentication `ClientSecretPost` (`getClientAuth`), for PAR and the code exchange;
 *   headers `User-Agent: nextjs-auth0/4.27.0`, `Auth0-Client` = base64 of {name, version} (`httpOptions`);
 * - callback (oauth4webapi `validateAuthResponse`): `state`, and `iss` required and equal to the
 *   issuer because discovery advertises `authorization_response_iss_parameter_supported`;
 * - ID token (`processAuthorizationCodeResponse`): not signature-checked; `alg` among
 *   `id_token_signing_alg_values_supported`; `iss` exactly the discovered issuer; `aud`, `nonce`;
 * - logout (`handleLogout`, strategy "auto"): the discovered `end_session_endpoint` with `client_id`,
 *   `post_logout_redirect_uri`, `id_token_hint`.
 */
import { auth0Client } from '../helpers/sdk-wire.js';
import { describeWebSdk } from '../helpers/web-sdk.js';

const APP = 'http://localhost:4101';

describeWebSdk({
  name: 'nextjs-auth0 4.27.0 (/auth/login?session_transfer_token=…, with and without pushedAuthorizationRequests)',
  client: {
    client_id: 'nextjs-app',
    client_secret: 'nextjs-app-secret',
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: [`${APP}/auth/callback`],
    post_logout_redirect_uris: [`${APP}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    is_first_party: true,
    session_transfer: { allowed_authentication_methods: ['query', 'cookie'] },
  },
  endpoints: (_origin, discovered) => discovered,
  authorize: (tx) => ({
    scope: 'openid profile email offline_access', client_id: 'nextjs-app', redirect_uri: `${APP}/auth/callback`, response_type: 'code',
    code_challenge: tx.challenge, code_challenge_method: 'S256', state: tx.state, nonce: tx.nonce,
  }),
  responseMode: 'query',
  par: true,
  headers: { 'user-agent': 'nextjs-auth0/4.27.0', 'auth0-client': auth0Client({ name: 'nextjs-auth0', version: '4.27.0' }, 'base64'), accept: 'application/json' },
  clientAuth: { form: { client_id: 'nextjs-app', client_secret: 'nextjs-app-secret' } },
  exchange: (code, tx) => ({ redirect_uri: `${APP}/auth/callback`, code, code_verifier: tx.verifier, grant_type: 'authorization_code' }),
  requiresIss: true,
  idTokenIssuer: (endpoints) => endpoints.issuer,
  verifiesSignature: false,
  logout: (endpoints, idToken) => `${endpoints.endSession}?${new URLSearchParams({
    client_id: 'nextjs-app', post_logout_redirect_uri: `${APP}/`, id_token_hint: idToken,
  })}`,
});

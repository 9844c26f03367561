/**
 * auth0-spa-js 2.24.1 (github.com/auth0/auth0-spa-js, commit dab666a154f7e1f0536569788e6170a38ad164bf):
 * - the token, opt-in: `src/Auth0Client.ts` `_applySessionTransferToken` reads the page URL's
 *   parameter named by `sessionTransferTokenQueryParamName` and sends it as `session_transfer_token`
 *   on /authorize (`loginWithRedirect`); no PAR;
 * - no discovery: fixed paths `${domainUrl}/authorize`, `/oauth/token`, `/v2/logout` (`src/Auth0Client.ts`
 *   `_url`, `_buildLogoutUrl`; `src/api.ts`);
 * - /authorize (`src/Auth0Client.utils.ts` `getAuthorizeParams`): `client_id`, `scope` `openid profile
 *   email`, `response_type=code`, `response_mode=query`, `state`, `nonce`, `redirect_uri`, PKCE S256,
 *   `auth0Client` = base64 of {name, version};
 * - code exchange (`src/api.ts`): form-encoded by default (`useFormData: true`), a public client
 *   with no authentication, `Auth0-Client` header; a cross-origin `fetch`, so it needs CORS;
 * - ID token (`src/jwt.ts` `verify`): not signature-checked; `alg` exactly RS256, `iss` exactly
 *   `${domainUrl}/`, `aud`/`azp`, `nonce`, `exp`/`iat` numbers;
 * - logout: `/v2/logout?client_id&returnTo&auth0Client`.
 */
import { auth0Client } from '../helpers/sdk-wire.js';
import { describeWebSdk } from '../helpers/web-sdk.js';

const APP = 'http://localhost:4100';
const telemetry = auth0Client({ name: 'auth0-spa-js', version: '2.24.1' }, 'base64');

describeWebSdk({
  name: 'auth0-spa-js 2.24.1 (loginWithRedirect with sessionTransferTokenQueryParamName)',
  client: {
    client_id: 'spa-js-app',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${APP}/`],
    post_logout_redirect_uris: [`${APP}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    is_first_party: true,
    session_transfer: { allowed_authentication_methods: ['query', 'cookie'] },
  },
  endpoints: (origin) => ({
    issuer: `${origin}/`, authorization: `${origin}/authorize`, token: `${origin}/oauth/token`, endSession: `${origin}/v2/logout`,
  }),
  authorize: (tx) => ({
    client_id: 'spa-js-app', scope: 'openid profile email', response_type: 'code', response_mode: 'query', state: tx.state, nonce: tx.nonce,
    redirect_uri: `${APP}/`, code_challenge: tx.challenge, code_challenge_method: 'S256', auth0Client: telemetry,
  }),
  responseMode: 'query',
  par: false,
  headers: { 'auth0-client': telemetry, origin: APP },
  clientAuth: {},
  exchange: (code, tx) => ({ client_id: 'spa-js-app', grant_type: 'authorization_code', code, code_verifier: tx.verifier, redirect_uri: `${APP}/` }),
  checkExchange(reply) {
    // The browser lets the SPA read the answer only with CORS for its origin.
    if (reply.headers.get('access-control-allow-origin') !== APP) throw new Error('no CORS for the SPA origin');
  },
  requiresIss: false,
  idTokenIssuer: (endpoints) => endpoints.issuer,
  verifiesSignature: false,
  logout: (endpoints) => `${endpoints.endSession}?${new URLSearchParams({ client_id: 'spa-js-app', returnTo: `${APP}/`, auth0Client: telemetry })}`,
});

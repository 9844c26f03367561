/**
 * express-openid-connect 3.4.0 (github.com/auth0/express-openid-connect, commit 94a08dd6c214a5a427a70110898e0e2099e5daab; openid-client 6):
 * - the token: the documented custom login route (`examples/cte-session-transfer.js`, EXAMPLES.md
 *   §13) passes `authorizationParams.session_transfer_token` to `res.oidc.login()` (`lib/context.js`),
 *   which sends it on the authorization request, or inside the pushed request with
 *   `pushedAuthorizationRequests: true` (openid-client `buildAuthorizationUrlWithPAR`);
 * - endpoints from discovery (`lib/client.js`); the issuer must equal `issuerBaseURL`;
 * - authorization request: `response_type: 'code'` configured (the default is the implicit
 *   `id_token`), `scope` `openid profile email`, `redirect_uri`, `nonce`, `state`
 *   (base64url of {returnTo}, `lib/hooks/getLoginState.js`), PKCE S256, `client_id`;
 * - client authentication `client_secret_basic` by default for the code flow (`lib/config.js`),
 *   for PAR too; headers `User-Agent: express-openid-connect/3.4.0` and `Auth0-Client` = base64 of
 *   {name: "express-oidc", version, env: {node}} (`createCustomFetch`);
 * - callback and ID token (openid-client/oauth4webapi): `state`, `iss` required when advertised,
 *   no signature check in the code flow, `alg` RS256 (`idTokenSigningAlg`), `iss` exactly the
 *   discovered issuer, `aud`, `nonce`.
 */
import { auth0Client } from '../helpers/sdk-wire.js';
import { describeWebSdk } from '../helpers/web-sdk.js';

const APP = 'http://localhost:4102';
const basic = `Basic ${Buffer.from('express-app:express-app-secret').toString('base64')}`;

describeWebSdk({
  name: 'express-openid-connect 3.4.0 (res.oidc.login with authorizationParams.session_transfer_token)',
  client: {
    client_id: 'express-app',
    client_secret: 'express-app-secret',
    redirect_uris: [`${APP}/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    is_first_party: true,
    session_transfer: { allowed_authentication_methods: ['query', 'cookie'] },
  },
  endpoints: (_origin, discovered) => discovered,
  authorize: (tx) => ({
    client_id: 'express-app', response_type: 'code', scope: 'openid profile email', redirect_uri: `${APP}/callback`, nonce: tx.nonce,
    state: tx.state, code_challenge: tx.challenge, code_challenge_method: 'S256',
  }),
  responseMode: 'query',
  par: true,
  headers: {
    'user-agent': 'express-openid-connect/3.4.0',
    'auth0-client': auth0Client({ name: 'express-oidc', version: '3.4.0', env: { node: process.version } }, 'base64'),
  },
  clientAuth: { headers: { authorization: basic } },
  exchange: (code, tx) => ({ grant_type: 'authorization_code', code, redirect_uri: `${APP}/callback`, code_verifier: tx.verifier }),
  requiresIss: true,
  idTokenIssuer: (endpoints) => endpoints.issuer,
  verifiesSignature: false,
});

/**
 * auth0-aspnetcore-authentication 1.11.0 (github.com/auth0/auth0-aspnetcore-authentication, commit
 * 81cca7b0ee3ea0df8ac7036988ab420cf0610f30), on Microsoft's OpenIdConnectHandler:
 * - the token: the app's login endpoint calls `LoginAuthenticationPropertiesBuilder.WithParameter(
 *   "session_transfer_token", …)` (EXAMPLES.md); `OpenIdConnectEventsFactory` copies `Auth0:*` items
 *   onto the authorization request, and `PushedAuthorizationRequestHandler` posts all of them when
 *   `UsePushedAuthorization` is set (the front channel then only `client_id` and `request_uri`, plus
 *   `x-client-SKU`/`x-client-ver`);
 * - endpoints from discovery; authorization request: `client_id`, `redirect_uri`, `response_type=code`
 *   (`WithAccessToken`), `scope` `openid profile`, `response_mode=form_post` (the handler's default),
 *   `nonce`, `state`, PKCE S256, `auth0Client` = base64 of {name: "aspnetcore-authentication", version},
 *   `x-client-SKU`, `x-client-ver`;
 * - client authentication `client_secret_post` (PAR and code exchange); `Auth0-Client` header;
 * - ID token (IdentityModel and `IdTokenValidator.cs`): the signature *is* verified with the JWKS;
 *   `iss` `https://{Domain}/` (here the http origin's) or the discovered issuer; `aud`, `nonce`, `exp`, `iat`, `sub`;
 * - logout (`CreateOnRedirectToIdentityProviderForSignOut`): `/v2/logout?client_id&returnTo`.
 * The SDK requires HTTPS; the example has no TLS, so its domain here is `http://localhost:<port>`.
 */
import { auth0Client } from '../helpers/sdk-wire.js';
import { describeWebSdk } from '../helpers/web-sdk.js';

const APP = 'http://localhost:4103';
const telemetry = auth0Client({ name: 'aspnetcore-authentication', version: '1.11.0' }, 'base64');

describeWebSdk({
  name: 'auth0-aspnetcore-authentication 1.11.0 (WithParameter("session_transfer_token"), with and without UsePushedAuthorization)',
  client: {
    client_id: 'aspnet-app',
    client_secret: 'aspnet-app-secret',
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: [`${APP}/callback`],
    post_logout_redirect_uris: [`${APP}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    is_first_party: true,
    session_transfer: { allowed_authentication_methods: ['query', 'cookie'] },
  },
  endpoints: (origin, discovered) => ({ ...discovered, endSession: `${origin}/v2/logout` }),
  authorize: (tx) => ({
    client_id: 'aspnet-app', redirect_uri: `${APP}/callback`, response_type: 'code', scope: 'openid profile', response_mode: 'form_post',
    nonce: tx.nonce, state: tx.state, code_challenge: tx.challenge, code_challenge_method: 'S256', auth0Client: telemetry,
    'x-client-SKU': 'ID_NET8_0', 'x-client-ver': '7.1.2.0',
  }),
  responseMode: 'form_post',
  par: true,
  headers: { 'auth0-client': telemetry },
  clientAuth: { form: { client_id: 'aspnet-app', client_secret: 'aspnet-app-secret' } },
  exchange: (code, tx) => ({ code, grant_type: 'authorization_code', redirect_uri: `${APP}/callback`, code_verifier: tx.verifier }),
  requiresIss: false,
  idTokenIssuer: (endpoints) => endpoints.issuer,
  verifiesSignature: true,
  logout: (endpoints) => `${endpoints.endSession}?${new URLSearchParams({ client_id: 'aspnet-app', returnTo: `${APP}/` })}`,
});

/**
 * `oidc-session-transfer/web`: the relying-party side alone. A web app imports it to forward a
 * Session Transfer Token from its login route; it loads neither oidc-provider nor Redis.
 * @module oidc-session-transfer/web
 */
export {
  sessionTransferLogin,
  type SessionTransferLoginOptions,
  type SessionTransferLoginRequest,
  type SessionTransferLoginState,
} from './session-transfer-login.js';

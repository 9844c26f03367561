import createDebug from 'debug';

/** `DEBUG=oidc-session-transfer:*` shows the library's decisions. Never pass a raw token here. */
export const debug = createDebug('oidc-session-transfer');

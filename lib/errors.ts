/**
 * Errors thrown by the library itself (configuration, store). Each has a stable `code` to switch
 * on; match on `code` rather than `instanceof`, since bundlers can duplicate classes.
 *
 * Errors answered to OAuth clients at the token endpoint are oidc-provider's own error classes,
 * so they are rendered exactly like the provider's other errors.
 * @category Errors
 */
export type SessionTransferErrorCode =
  | 'ERR_SESSION_TRANSFER_OPTIONS'
  | 'ERR_SESSION_TRANSFER_CLIENT_METADATA'
  | 'ERR_SESSION_TRANSFER_STORE_UNAVAILABLE'
  | 'ERR_SESSION_TRANSFER_USAGE';

/** @category Errors */
export class SessionTransferError extends Error {
  readonly code: SessionTransferErrorCode;

  constructor(code: SessionTransferErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A library option is missing or invalid; the message names the option path.
 * @category Errors
 */
export class OptionsError extends SessionTransferError {
  /** The option path, e.g. `ttl` or `trustProxy`. */
  readonly path: string;

  constructor(path: string, message: string) {
    super('ERR_SESSION_TRANSFER_OPTIONS', `options.${path} ${message}`);
    this.path = path;
  }
}

/**
 * A client's metadata for the library is invalid; the message names the client and field.
 * @category Errors
 */
export class ClientMetadataError extends SessionTransferError {
  readonly clientId: string;
  /** The metadata path, e.g. `session_transfer.enforce_device_binding`. */
  readonly field: string;

  constructor(clientId: string, field: string, message: string) {
    super('ERR_SESSION_TRANSFER_CLIENT_METADATA', `client "${clientId}": ${field} ${message}`);
    this.clientId = clientId;
    this.field = field;
  }
}

/**
 * The token store did not answer in time, is disconnected, or a write was not acknowledged by the
 * replicas `replicaAcks` asks for. A temporary condition: `statusCode` is 503, which
 * oidc-provider (for the Redis adapter's errors) and Express answer with.
 * @category Errors
 */
export class StoreUnavailableError extends SessionTransferError {
  readonly statusCode = 503;

  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SESSION_TRANSFER_STORE_UNAVAILABLE', message, options);
  }
}

/**
 * The library's methods were called out of order (e.g. `attach()` before `configure()`).
 * @category Errors
 */
export class UsageError extends SessionTransferError {
  constructor(method: string, message: string) {
    super('ERR_SESSION_TRANSFER_USAGE', `${method}: ${message}`);
  }
}

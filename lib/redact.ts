import { TOKEN_PARAM } from './options.js';

const TOKEN_IN_QUERY = new RegExp(`([?&]${TOKEN_PARAM}=)[^&#]*`, 'g');

/**
 * A URL (or path with query) fit for an access log: the `session_transfer_token` value is
 * replaced by `[redacted]`. Query-delivered tokens are single-use, but a log outlives them.
 */
export function redactUrl(url: string): string {
  return url.replace(TOKEN_IN_QUERY, '$1[redacted]');
}

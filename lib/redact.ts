import { TOKEN_PARAM } from './options.js';

/** A query parameter's name as the provider's query parser (Koa's, `URLSearchParams`) reads it. */
const paramName = (pair: string) => new URLSearchParams(pair).keys().next().value;

/** Parameters whose values an access log must not keep: a token, and a pushed request that carries one. */
const REDACTED = new Set([TOKEN_PARAM, 'request_uri']);

/**
 * A URL (or path with query) fit for an access log: every `session_transfer_token` and
 * `request_uri` value is replaced by `[redacted]`, however its name is percent-encoded
 * (`session%5Ftransfer%5Ftoken`), since the provider decodes the name before it reads it. A
 * query-delivered token is single-use, and a pushed request is usable until its authorization
 * ends, but a log outlives both. Everything else is left as it was written.
 * @category Setup
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const hashAt = url.indexOf('#', start);
  const end = hashAt === -1 ? url.length : hashAt;
  const query = url.slice(start + 1, end).split('&').map((pair) => {
    if (!REDACTED.has(paramName(pair) ?? '') || !pair.includes('=')) return pair;
    return `${pair.slice(0, pair.indexOf('='))}=[redacted]`;
  });
  return `${url.slice(0, start + 1)}${query.join('&')}${url.slice(end)}`;
}

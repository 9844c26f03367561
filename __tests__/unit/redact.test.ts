import { expect, it } from '@jest/globals';

import { redactUrl } from '../../lib/index.js';

it('redacts the token wherever it stands in the query, and nothing else', () => {
  expect(redactUrl('/auth?client_id=web&session_transfer_token=abc_DEF-123&prompt=none'))
    .toBe('/auth?client_id=web&session_transfer_token=[redacted]&prompt=none');
  expect(redactUrl('https://id.example/auth?session_transfer_token=abc#x')).toBe('https://id.example/auth?session_transfer_token=[redacted]#x');
  expect(redactUrl('/auth?a=1&session_transfer_token=x&session_transfer_token=y'))
    .toBe('/auth?a=1&session_transfer_token=[redacted]&session_transfer_token=[redacted]');
  expect(redactUrl('/auth?my_session_transfer_token=keep')).toBe('/auth?my_session_transfer_token=keep');
});

it('redacts a token whose parameter name is percent- or plus-encoded, as the provider decodes it', () => {
  expect(redactUrl('/auth?session%5Ftransfer%5Ftoken=abc&x=1')).toBe('/auth?session%5Ftransfer%5Ftoken=[redacted]&x=1');
  expect(redactUrl('/auth?%73ession_transfer_token=abc')).toBe('/auth?%73ession_transfer_token=[redacted]');
  expect(redactUrl('/auth?x=%zz&session_transfer_token=abc')).toBe('/auth?x=%zz&session_transfer_token=[redacted]');
  expect(redactUrl('/auth?session_transfer_token')).toBe('/auth?session_transfer_token');
  expect(redactUrl('/no-query#session_transfer_token=abc')).toBe('/no-query#session_transfer_token=abc');
  // A pushed request's URI reopens the request (and the token inside it) until its authorization ends.
  expect(redactUrl('/auth?client_id=web&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc'))
    .toBe('/auth?client_id=web&request_uri=[redacted]');
});

it('agrees with the query parser the provider uses (Koa\'s URLSearchParams) on what is the token', () => {
  const parse = (query: string) => Object.fromEntries(new URLSearchParams(query));
  for (const url of ['/auth?session%5Ftransfer%5Ftoken=secret', '/auth?a=1&session_transfer_token=secret&b=2', '/auth?%73ession_transfer_token=secret', '/auth?session_transfer_tok%65n=secret']) {
    const parsed = parse(url.slice(url.indexOf('?') + 1));
    const redacted = redactUrl(url);
    expect(redacted).not.toContain('secret');
    // Nothing else changed: the same parameters, the token's value aside.
    expect(Object.keys(parse(redacted.slice(redacted.indexOf('?') + 1)))).toEqual(Object.keys(parsed));
  }
});

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

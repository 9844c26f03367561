import { expect, it } from '@jest/globals';
import fc from 'fast-check';

import { decodeRecord, decodeReplayMarker, encodeRecord } from '../../lib/store/record-codec.js';
import type { TransferRecord } from '../../lib/index.js';
import { generateToken } from '../../lib/token.js';

const typical: TransferRecord = {
  accountId: 'user-123456', clientId: 'example-native', grantId: generateToken(), scope: 'openid offline_access email profile',
  authTime: 1_795_750_232, amr: ['pwd'], ip: '203.0.113.45', userAgent: 'ExampleApp/4.2.1 (iPhone; iOS 18.1; Scale/3.00)',
  iat: 1_795_750_232, exp: 1_795_750_292,
};

it('reads a record back whole, every optional field present or absent', () => {
  const full: TransferRecord = { ...typical, acr: 'urn:mace:incommon:iap:silver', audience: ['example-web', 'other web'], asn: 64500 };
  expect(decodeRecord(encodeRecord(full))).toEqual(full);
  const bare: TransferRecord = { accountId: 'a', clientId: 'c', grantId: 'g', scope: '', ip: '::1', iat: 10, exp: 70 };
  expect(decodeRecord(encodeRecord(bare))).toEqual(bare);
  expect(decodeRecord(null)).toBeUndefined();
});

it('keeps a typical record within the 156 bytes that hold Redis under 300 B per token', () => {
  // Redis (jemalloc) gives values of 129–160 bytes a 160-byte allocation; see BENCHMARKS.md.
  expect(encodeRecord(typical).length).toBeLessThanOrEqual(140);
});

it('reads any record back exactly, whatever its strings and numbers', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 });
  fc.assert(fc.property(fc.record({
    accountId: text, clientId: text, grantId: fc.oneof(text, fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/)),
    scope: fc.array(fc.oneof(fc.constantFrom('openid', 'email', 'offline_access', ''), text), { maxLength: 6 }).map((words) => words.join(' ')),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), text),
    iat: fc.integer({ min: 0, max: 2 ** 32 }), lifetime: fc.integer({ min: -5, max: 300 }),
    authAgo: fc.option(fc.integer({ min: -100, max: 10 ** 9 }), { nil: undefined }),
    amr: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
    acr: fc.option(text, { nil: undefined }),
    audience: fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
    asn: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined }),
    userAgent: fc.option(fc.string({ unit: 'grapheme', maxLength: 256 }), { nil: undefined }),
  }), ({ lifetime, authAgo, iat, ...fields }) => {
    const record = Object.fromEntries(Object.entries({
      ...fields, iat, exp: iat + lifetime, authTime: authAgo === undefined ? undefined : iat - authAgo,
    }).filter(([, value]) => value !== undefined)) as unknown as TransferRecord;
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  }), { numRuns: 500 });
});

it('reads a replay marker as the consume script writes it', () => {
  const encoded = encodeRecord(typical);
  const length = encoded[1]! * 256 + encoded[2]!;
  const marker = Buffer.concat([Buffer.from('!'), encoded.subarray(1, 3 + length), Buffer.from('198.51.100.7')]);
  expect(decodeReplayMarker(marker)).toEqual({ replayed: typical.grantId, by: '198.51.100.7' });
  // 0.1's marker, `!<grant> <address>`, is a replay of a grant it cannot name.
  expect(decodeReplayMarker(Buffer.from('!some-grant-id 198.51.100.7'))).toEqual({ replayed: '', by: '' });
});

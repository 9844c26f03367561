import { expect, it } from '@jest/globals';

import { decodeRecord, encodeRecord } from '../../lib/store/store.js';
import type { TransferRecord } from '../../lib/index.js';

it('stores records compactly and reads them back whole', () => {
  const record: TransferRecord = {
    accountId: 'demo', clientId: 'example-native', grantId: 'g'.repeat(43), refreshTokenHash: 'h'.repeat(43), scope: 'openid email',
    authTime: 1_795_750_232, amr: ['pwd'], acr: 'urn:mace:incommon:iap:silver', audience: ['example-web'], ip: '203.0.113.5',
    userAgent: 'App/1.0', asn: 64500, iat: 1_795_750_232, exp: 1_795_750_292,
  };
  const stored = encodeRecord(record);
  expect(decodeRecord(stored)).toEqual(record);
  expect(stored).not.toContain('refreshTokenHash');
  expect(stored.length).toBeLessThan(JSON.stringify(record).length - 60);
  expect(decodeRecord(encodeRecord({ ...record, acr: undefined, audience: undefined }))).toEqual({ ...record, acr: undefined, audience: undefined });
  expect(decodeRecord(null)).toBeUndefined();
});

import { describe, expect, it } from '@jest/globals';

import { compareDevice } from '../../lib/binding/device-binding.js';
import type { TransferRecord } from '../../lib/index.js';

const record = (ip: string, asn?: number): TransferRecord => ({
  accountId: 'a', clientId: 'n', grantId: 'g', scope: 'openid', ip, asn, iat: 0, exp: 60,
});
const ip = (ipv6_prefix_length: number | null = null) => ({ enforce_device_binding: 'ip' as const, ipv6_prefix_length });

describe('device binding', () => {
  it('ip: equal addresses match; IPv4-mapped IPv6 equals its IPv4', async () => {
    expect(await compareDevice(ip(), record('203.0.113.5'), '203.0.113.5', undefined)).toMatchObject({ ok: true });
    expect(await compareDevice(ip(), record('::ffff:127.0.0.1'), '127.0.0.1', undefined)).toMatchObject({ ok: true });
    expect(await compareDevice(ip(), record('203.0.113.5'), '203.0.113.6', undefined))
      .toEqual({ ok: false, rule: 'ip', expected: '203.0.113.5', actual: '203.0.113.6' });
    expect(await compareDevice(ip(), record(''), '', undefined)).toMatchObject({ ok: false });
  });

  it('ip: localhost over IPv4 and over IPv6 is one device; other addresses stay apart', async () => {
    expect(await compareDevice(ip(), record('127.0.0.1'), '::1', undefined)).toMatchObject({ ok: true });
    expect(await compareDevice(ip(), record('::1'), '::ffff:127.0.0.1', undefined)).toMatchObject({ ok: true });
    expect(await compareDevice(ip(), record('127.0.0.1'), '127.0.0.2', undefined)).toMatchObject({ ok: false });
    expect(await compareDevice(ip(), record('::1'), '127.0.0.2', undefined)).toMatchObject({ ok: false });
    expect(await compareDevice(ip(), record('127.0.0.1'), '192.0.2.1', undefined)).toMatchObject({ ok: false });
    expect(await compareDevice(ip(), record('::1'), '2001:db8::1', undefined)).toMatchObject({ ok: false });
    expect(await compareDevice(ip(64), record('::1'), '::2', undefined)).toMatchObject({ ok: true }); // same /64, by the prefix rule
    expect(await compareDevice(ip(), record('::1'), '::2', undefined)).toMatchObject({ ok: false });
  });

  it('ip with an IPv6 prefix: the same /64 matches only when enabled', async () => {
    expect(await compareDevice(ip(), record('2001:db8::1'), '2001:db8::abcd', undefined)).toMatchObject({ ok: false });
    expect(await compareDevice(ip(64), record('2001:db8::1'), '2001:db8::abcd', undefined)).toMatchObject({ ok: true, prefixLength: 64 });
    expect(await compareDevice(ip(64), record('2001:db8::1'), '2001:db8:0:1::1', undefined))
      .toEqual({ ok: false, rule: 'ip', expected: '2001:db8::1', actual: '2001:db8:0:1::1', prefixLength: 64 });
    // The prefix never applies to IPv4.
    expect(await compareDevice(ip(8), record('10.0.0.1'), '10.0.0.2', undefined)).toMatchObject({ ok: false });
  });

  it('asn: the same ASN matches; unknown or no resolver fails closed', async () => {
    const resolver = { lookup: (address: string) => ({ '198.51.100.1': { asn: 64500 }, '198.51.100.2': { asn: 64500 } } as Record<string, { asn: number }>)[address] ?? null };
    const asn = { enforce_device_binding: 'asn' as const, ipv6_prefix_length: null };
    expect(await compareDevice(asn, record('198.51.100.9', 64500), '198.51.100.2', resolver)).toMatchObject({ ok: true });
    expect(await compareDevice(asn, record('198.51.100.9', 64500), '192.0.2.1', resolver)).toEqual({ ok: false, rule: 'asn', expected: 64500, actual: undefined });
    expect(await compareDevice(asn, record('198.51.100.9'), '198.51.100.2', resolver)).toMatchObject({ ok: false });
    expect(await compareDevice(asn, record('198.51.100.9', 64500), '198.51.100.2', undefined)).toMatchObject({ ok: false });
    const broken = { lookup: () => { throw new Error('db gone'); } };
    expect(await compareDevice(asn, record('198.51.100.9', 64500), '198.51.100.2', broken)).toMatchObject({ ok: false });
  });

  it('none: always matches', async () => {
    expect(await compareDevice({ enforce_device_binding: 'none', ipv6_prefix_length: null }, record('1.1.1.1'), '2.2.2.2', undefined)).toEqual({ ok: true, rule: 'none' });
  });
});

import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';

import { clientAddress, proxyTrust } from '../../lib/binding/trust-proxy.js';
import { MemoryStore, sessionTransfer } from '../../lib/index.js';

describe('client address behind proxies', () => {
  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('10.0.0.2', '203.0.113.5', undefined)).toBe('10.0.0.2');
  });

  it('walks back the trusted hops; entries left of them never win', () => {
    const oneHop = proxyTrust({ hops: 1 });
    expect(clientAddress('10.0.0.2', '203.0.113.5', oneHop)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.5', oneHop)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', undefined, oneHop)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.3', '6.6.6.6, 203.0.113.5, 10.0.0.2', proxyTrust({ hops: 2 }))).toBe('203.0.113.5');
  });

  it('trusts proxies by address range, stopping at the first untrusted one', () => {
    const ranges = proxyTrust({ ranges: ['10.0.0.0/8', 'fd00::/8'] });
    expect(clientAddress('10.0.0.3', '6.6.6.6, 203.0.113.5, 10.0.0.2', ranges)).toBe('203.0.113.5');
    expect(clientAddress('fd00::1', '2001:db8::7', ranges)).toBe('2001:db8::7');
    // The socket itself is not a trusted proxy: its header is not believed at all.
    expect(clientAddress('198.51.100.1', '203.0.113.5', ranges)).toBe('198.51.100.1');
  });

  it('with hops and ranges, trusts only the nearest hops that are in the ranges', () => {
    const both = proxyTrust({ hops: 1, ranges: ['10.0.0.0/8'] });
    expect(clientAddress('10.0.0.3', '203.0.113.5, 10.0.0.2', both)).toBe('10.0.0.2');
    expect(clientAddress('192.0.2.1', '203.0.113.5', both)).toBe('192.0.2.1');
  });

  it('treats IPv4-mapped IPv6 as IPv4, and garbage as no address', () => {
    expect(clientAddress('::ffff:10.0.0.2', '::ffff:203.0.113.5', proxyTrust({ ranges: ['10.0.0.0/8'] }))).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', 'not-an-ip', proxyTrust({ hops: 1 }))).toBe('');
  });
});

describe('Express trust proxy, set by attach()', () => {
  it('makes req.ip agree with the library for the same chain', async () => {
    const transfer = sessionTransfer({ store: new MemoryStore(), trustProxy: { ranges: ['127.0.0.0/8', '10.0.0.0/8'] } });
    const { default: Provider } = await import('oidc-provider');
    const provider = new Provider('http://localhost:3000', transfer.configure({}));
    const app = express();
    transfer.attach(provider, { app });
    app.get('/ip', (req, res) => { res.send(req.ip); });
    const chain = '6.6.6.6, 203.0.113.5, 10.0.0.2';
    const res = await request(app).get('/ip').set('x-forwarded-for', chain);
    expect(res.text).toBe(clientAddress('127.0.0.1', chain, transfer.options.trustProxy));
    expect(res.text).toBe('203.0.113.5');
    expect(provider.proxy).toBe(true);
  });
});

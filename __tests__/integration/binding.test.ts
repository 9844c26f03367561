import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest, type Server } from 'node:http';
import { once } from 'node:events';
import type { Express } from 'express';
import request from 'supertest';

import type { RejectedEvent } from '../../lib/index.js';
import { storedRecord } from '../helpers/stored-token.js';
import { AUDIENCE, redisClient, testIdentityProvider } from '../helpers/idp.js';
import { nativeLogin } from '../helpers/native-login.js';
import { mintToken, redirectUriOf } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

async function listen(app: Express, host: string): Promise<{ server: Server; port: number }> {
  const server = app.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

/** An authorization request sent from a chosen local address, as another device on the network. */
function authorizeFrom(localAddress: string, host: string, port: number, clientId: string, token: string): Promise<string> {
  const query = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUriOf(clientId), scope: 'openid', session_transfer_token: token, prompt: 'none',
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: `/auth?${query}`, localAddress }, (res) => {
      res.resume();
      const location = new URL(res.headers.location ?? '', 'http://x');
      resolve(location.searchParams.get('code') ? 'code' : location.searchParams.get('error') ?? `status ${res.statusCode}`);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('over real loopback addresses', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'loopback:' });
  const rejected: RejectedEvent[] = [];
  idp.transfer.on('rejected', (e) => rejected.push(e));
  let v4: { server: Server; port: number };
  let dual: { server: Server; port: number };

  beforeAll(async () => {
    v4 = await listen(idp.app, '127.0.0.1');
    dual = await listen(idp.app, '::');
  });
  afterAll(() => {
    v4.server.close();
    dual.server.close();
  });

  const mintAt = (port: number) => mintToken(`http://127.0.0.1:${port}`).then(({ token }) => token);

  it('ip: a token minted from 127.0.0.1 is refused from 127.0.0.2, with both sides reported', async () => {
    const token = await mintAt(v4.port);
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'example-web', token)).toBe('login_required');
    expect(rejected.at(-1)).toMatchObject({
      reason: 'device_mismatch', ip: '127.0.0.2', binding: { rule: 'ip', expected: '127.0.0.1', actual: '127.0.0.2' },
    });
    expect(rejected.at(-1)!.logOnly).toBeUndefined();
  });

  it('ip: the same device is accepted', async () => {
    expect(await authorizeFrom('127.0.0.1', '127.0.0.1', v4.port, 'example-web', await mintAt(v4.port))).toBe('code');
  });

  it('none: accepted from another address', async () => {
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'unbound-web', await mintAt(v4.port))).toBe('code');
  });

  it('log_only: accepted from another address, and the mismatch reported', async () => {
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'logonly-web', await mintAt(v4.port))).toBe('code');
    expect(rejected.at(-1)).toMatchObject({
      reason: 'device_mismatch', clientId: 'logonly-web', logOnly: true, binding: { rule: 'ip', expected: '127.0.0.1', actual: '127.0.0.2' },
    });
  });

  it("a native client's minimum_device_binding (threat: the weakest accepting client opens every token)", async () => {
    const strict = () => mintToken(`http://127.0.0.1:${v4.port}`, { clientId: 'strict-native', redirectUri: 'com.example.strict:/callback' })
      .then(({ token }) => token);
    // Not at a web client that binds nothing, nor at one that only logs mismatches…
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'unbound-web', await strict())).toBe('login_required');
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', clientId: 'unbound-web', binding: { rule: 'ip' } });
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'logonly-web', await strict())).toBe('login_required');
    expect(rejected.at(-1)!.logOnly).toBeUndefined();
    // …while from the same device it redeems there, and other apps' tokens keep the web client's rule.
    expect(await authorizeFrom('127.0.0.1', '127.0.0.1', v4.port, 'unbound-web', await strict())).toBe('code');
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'unbound-web', await mintAt(v4.port))).toBe('code');
  });

  it('localhost: minted over 127.0.0.1 and redeemed over ::1 (a browser may pick either) is one device', async () => {
    const before = rejected.length;
    expect(await authorizeFrom('::1', '::1', dual.port, 'example-web', await mintAt(v4.port))).toBe('code');
    expect(rejected.slice(before)).toEqual([]);
    // Another address of the machine is still another device.
    expect(await authorizeFrom('127.0.0.2', '127.0.0.1', v4.port, 'example-web', await mintAt(dual.port))).toBe('login_required');
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', binding: { expected: '127.0.0.1', actual: '127.0.0.2' } });
  });

  it('dual stack: minted as ::ffff:127.0.0.1, redeemed as 127.0.0.1, and the other way round', async () => {
    // The dual-stack socket sees IPv4 clients as IPv4-mapped IPv6 addresses.
    const seen = new Set<string | undefined>();
    dual.server.on('connection', (socket) => seen.add(socket.remoteAddress));

    expect(await authorizeFrom('127.0.0.1', '127.0.0.1', v4.port, 'example-web', await mintAt(dual.port))).toBe('code');
    expect(await authorizeFrom('127.0.0.1', '127.0.0.1', dual.port, 'example-web', await mintAt(v4.port))).toBe('code');
    expect([...seen]).toEqual(['::ffff:127.0.0.1']);
  });
});

describe('X-Forwarded-For', () => {
  it('is ignored entirely when no proxy is trusted', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'untrusted:' });
    const { token } = await mintToken(idp.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await storedRecord(redis, 'untrusted:', token))!.ip).toBe('127.0.0.1');
    const res = await request(idp.app).get(`/auth?${new URLSearchParams({
      client_id: 'example-web', response_type: 'code', redirect_uri: redirectUriOf('example-web'), scope: 'openid', session_transfer_token: token, prompt: 'none',
    })}`).set('x-forwarded-for', '198.51.100.7');
    expect(new URL(res.headers.location!).searchParams.get('code')).toEqual(expect.any(String));
  });
});

describe('IPv6 prefix matching', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'prefix:', trustProxy: 1 });
  const redeem = async (clientId: string, mintIp: string, redeemIp: string) => {
    const { token } = await mintToken(idp.app, {}, { 'x-forwarded-for': mintIp });
    const res = await request(idp.app).get(`/auth?${new URLSearchParams({
      client_id: clientId, response_type: 'code', redirect_uri: redirectUriOf(clientId), scope: 'openid', session_transfer_token: token, prompt: 'none',
    })}`).set('x-forwarded-for', redeemIp);
    return new URL(res.headers.location!).searchParams.has('code');
  };

  it('accepts the same /64 when enabled for the client', async () => {
    expect(await redeem('prefix-web', '2001:db8:1:2::a', '2001:db8:1:2:ffff::b')).toBe(true);
    expect(await redeem('prefix-web', '2001:db8:1:2::a', '2001:db8:1:3::a')).toBe(false);
  });

  it("threat: a web client's IPv6 prefix loosens a native client's minimum_device_binding \"ip\" (exact): refused", async () => {
    const { token } = await mintToken(idp.app, { clientId: 'strict-native', redirectUri: 'com.example.strict:/callback' }, { 'x-forwarded-for': '2001:db8:1:2::a' });
    const res = await request(idp.app).get(`/auth?${new URLSearchParams({
      client_id: 'prefix-web', response_type: 'code', redirect_uri: redirectUriOf('prefix-web'), scope: 'openid', session_transfer_token: token, prompt: 'none',
    })}`).set('x-forwarded-for', '2001:db8:1:2:ffff::b');
    expect(new URL(res.headers.location!).searchParams.get('error')).toBe('login_required');
  });

  it('rejects the same /64 when off (the default)', async () => {
    expect(await redeem('query-web', '2001:db8:1:2::a', '2001:db8:1:2:ffff::b')).toBe(false);
  });
});

describe('the trusted forwarded-for header of a backend minting for a device', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'backend:' });
  const recordIp = async (token: string) => (await storedRecord(redis, 'backend:', token))!.ip;
  const backendMint = async (deviceIp: string) => {
    const native = await nativeLogin(idp.app, { clientId: 'backend', redirectUri: redirectUriOf('backend'), clientSecret: 'backend-secret' });
    return request(idp.app).post('/token').auth('backend', 'backend-secret').type('form')
      .set('auth0-forwarded-for', deviceIp)
      .send({ grant_type: 'refresh_token', refresh_token: native.refresh_token, audience: AUDIENCE });
  };

  it("is honoured for a client marked is_token_endpoint_ip_header_trusted", async () => {
    const res = await backendMint('203.0.113.7');
    expect(res.status).toBe(200);
    expect(await recordIp(res.body.access_token)).toBe('203.0.113.7');
  });

  it('is refused when it is not an IP address', async () => {
    const res = await backendMint('somewhere');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'auth0-forwarded-for must be an IP address' });
  });

  it('is ignored for any other client', async () => {
    const { token } = await mintToken(idp.app, {}, { 'auth0-forwarded-for': '203.0.113.7' });
    expect(await recordIp(token)).toBe('127.0.0.1');
  });
});

describe('forwarded host and protocol (threat: a client names the host in discovery)', () => {
  const discovery = (app: Express) => request(app).get('/.well-known/openid-configuration')
    .set('x-forwarded-host', 'evil.example').set('x-forwarded-proto', 'https');

  it('are ignored from a peer that is not a trusted proxy', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'fwd-untrusted:', trustProxy: { ranges: ['10.0.0.0/8'] } });
    const res = await discovery(idp.app);
    expect(res.body.authorization_endpoint).not.toContain('evil.example');
    expect(res.body.authorization_endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth$/);
  });

  it('are believed from a trusted proxy', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'fwd-trusted:', trustProxy: { ranges: ['127.0.0.1'] } });
    expect((await discovery(idp.app)).body.authorization_endpoint).toBe('https://evil.example/auth');
  });

  it('threat: under a hop count (trustProxy: 1), a client connecting directly names the host: ignored without X-Forwarded-For, as for the client IP', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'fwd-hops:', trustProxy: 1 });
    expect((await discovery(idp.app)).body.authorization_endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth$/);
    // Through the proxy, which adds X-Forwarded-For: believed.
    expect((await discovery(idp.app).set('x-forwarded-for', '203.0.113.5')).body.authorization_endpoint).toBe('https://evil.example/auth');
  });
});

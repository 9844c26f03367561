import { afterAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import request from 'supertest';

import type {
  RedeemedEvent, RedeemHookContext, RedeemHookResult, RejectedEvent, SessionRevokedEvent,
} from '../../lib/index.js';
import { hashToken } from '../../lib/token.js';
import { tokenKey } from '../helpers/stored-token.js';
import { redisClient, testIdentityProvider } from '../helpers/idp.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { authorize, exchangeCode, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

function collect(transfer: ReturnType<typeof testIdentityProvider>['transfer']) {
  const rejected: RejectedEvent[] = [];
  const revoked: SessionRevokedEvent[] = [];
  transfer.on('rejected', (e) => rejected.push(e));
  transfer.on('session_revoked', (e) => revoked.push(e));
  return { rejected, revoked };
}

describe('expiry', () => {
  it('refuses a token past its lifetime by the injected clock', async () => {
    let now = Date.now();
    const idp = testIdentityProvider({ redis, keyPrefix: 'expiry:', clock: () => now });
    const { rejected } = collect(idp.transfer);
    const fresh = await mintToken(idp.app);
    const stale = await mintToken(idp.app);
    now += 59_000;
    expect((await authorize(request.agent(idp.app), idp.provider, { token: fresh.token })).kind).toBe('code');
    now += 2_000;
    const result = await authorize(request.agent(idp.app), idp.provider, { token: stale.token, prompt: 'none' });
    expect(result).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'not_found_or_expired' });
  });
});

describe('device binding behind a trusted proxy', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'binding:', trustProxy: 1 });
  const { rejected } = collect(idp.transfer);
  const device = { 'x-forwarded-for': '203.0.113.5' };

  it('accepts the same client IP', async () => {
    const { token } = await mintToken(idp.app, {}, device);
    const agent = request.agent(idp.app).set(device);
    expect((await authorize(agent, idp.provider, { token })).kind).toBe('code');
  });

  it('refuses another IP with device_mismatch, reporting both sides, even with a spoofed leftmost entry', async () => {
    const { token } = await mintToken(idp.app, {}, device);
    const agent = request.agent(idp.app).set('x-forwarded-for', '203.0.113.5, 198.51.100.7');
    expect(await authorize(agent, idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({
      reason: 'device_mismatch', ip: '198.51.100.7', binding: { rule: 'ip', expected: '203.0.113.5', actual: '198.51.100.7' },
    });
  });

  it('accepts another IP for a client with enforce_device_binding "none"', async () => {
    const { token } = await mintToken(idp.app, {}, device);
    const agent = request.agent(idp.app).set('x-forwarded-for', '198.51.100.7');
    expect((await authorize(agent, idp.provider, { clientId: 'unbound-web', token })).kind).toBe('code');
  });
});

describe('asn binding through the configured resolver', () => {
  const networks: Record<string, number> = { '203.0.113.5': 64500, '203.0.113.9': 64500, '198.51.100.7': 64501 };
  const idp = testIdentityProvider({
    redis, keyPrefix: 'asn:', trustProxy: 1, asnResolver: { lookup: (ip) => (networks[ip] ? { asn: networks[ip] } : null) },
  });
  const { rejected } = collect(idp.transfer);
  const from = (ip: string) => request.agent(idp.app).set('x-forwarded-for', ip);

  it('accepts another address of the same ASN', async () => {
    const { token } = await mintToken(idp.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await authorize(from('203.0.113.9'), idp.provider, { clientId: 'asn-web', token })).kind).toBe('code');
  });

  it.each([
    ['another ASN', '198.51.100.7', 64501],
    ['an address with no known ASN', '192.0.2.1', undefined],
  ])('refuses %s', async (_name, ip, actual) => {
    const { token } = await mintToken(idp.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect((await authorize(from(ip), idp.provider, { clientId: 'asn-web', token })).kind).toBe('interaction');
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', binding: { rule: 'asn', expected: 64500, actual } });
  });
});

describe('a resolver that throws', () => {
  const idp = testIdentityProvider({
    redis, keyPrefix: 'asn-broken:', asnResolver: { lookup: () => { throw new Error('database gone'); } },
  });
  const { rejected } = collect(idp.transfer);

  it('breaks neither the mint nor the redeem; asn binding fails closed', async () => {
    const ok = await mintToken(idp.app);
    expect((await authorize(request.agent(idp.app), idp.provider, { token: ok.token })).kind).toBe('code');
    const closed = await mintToken(idp.app);
    expect((await authorize(request.agent(idp.app), idp.provider, { clientId: 'asn-web', token: closed.token })).kind).toBe('interaction');
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', binding: { rule: 'asn' } });
  });
});

describe('the redeem hook', () => {
  let behaviour: (context: RedeemHookContext) => Promise<RedeemHookResult | void> = async () => undefined;
  const seen: RedeemHookContext[] = [];
  const idp = testIdentityProvider({
    redis,
    keyPrefix: 'hook:',
    redeemHookTimeout: 200,
    onRedeem: (context) => {
      seen.push(context);
      return behaviour(context);
    },
  });
  const { rejected, revoked } = collect(idp.transfer);
  const redeemed: RedeemedEvent[] = [];
  idp.transfer.on('redeemed', (e) => redeemed.push(e));
  const agent = () => request.agent(idp.app);

  it("sees the token's issuing context and the redeeming request", async () => {
    behaviour = async () => undefined;
    const { token } = await mintToken(idp.app, {}, { 'user-agent': 'NativeApp/1.0' });
    expect((await authorize(agent(), idp.provider, { token })).kind).toBe('code');
    expect(seen.at(-1)).toMatchObject({
      transfer: { clientId: 'example-native', accountId: 'demo', ip: '127.0.0.1', userAgent: 'NativeApp/1.0', scope: 'openid email', issuedAt: expect.any(Number) },
      request: { clientId: 'example-web', ip: '127.0.0.1', transport: 'query' },
    });
  });

  it.each([
    ['denies', async () => ({ deny: true })],
    ['throws', async () => { throw new Error('policy service down'); }],
    ['times out', async () => { await sleep(1000); }],
    ['answers nonsense', async () => ({ sessionLifetime: -5 })],
  ])('refuses with reason denied when the hook %s', async (_name, hook) => {
    behaviour = hook as typeof behaviour;
    const { token } = await mintToken(idp.app);
    const started = Date.now();
    expect(await authorize(agent(), idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(rejected.at(-1)).toMatchObject({ reason: 'denied' });
  });

  it('shortens the absolute lifetime of the new session', async () => {
    behaviour = async () => ({ sessionLifetime: 120 });
    const { token } = await mintToken(idp.app);
    const result = await authorize(agent(), idp.provider, { token });
    const cookie = (result.res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('_session='))!;
    const expires = Date.parse(/expires=([^;]+)/i.exec(cookie)![1]!);
    expect(expires - Date.now()).toBeGreaterThan(100_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(121_000);
  });

  it('ends the session once it was idle longer than the idle lifetime', async () => {
    behaviour = async () => ({ sessionIdleLifetime: 60 });
    const browser = agent();
    const { token } = await mintToken(idp.app);
    expect((await authorize(browser, idp.provider, { token })).kind).toBe('code');
    const key = `hook:session:{${redeemed.at(-1)!.sessionUid}}`;
    expect(await redis.ttl(key)).toBeGreaterThan(50);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(60);
    expect((await authorize(browser, idp.provider, { prompt: 'none' })).kind).toBe('code');

    await redis.del(key); // what the idle lifetime running out does
    expect(await authorize(browser, idp.provider, { prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(revoked.at(-1)).toMatchObject({ reason: 'idle_expired', accountId: 'demo' });
  });

  it('threat: a refresh token that ends with a transferred session keeps refreshing after its idle lifetime ran out: it does not', async () => {
    behaviour = async () => ({ sessionIdleLifetime: 60 });
    const { token } = await mintToken(idp.app);
    const signedIn = await authorize(agent(), idp.provider, { clientId: 'refresh-web', token });
    if (signedIn.kind !== 'code') throw new Error(signedIn.kind);
    const key = `hook:session:{${redeemed.at(-1)!.sessionUid}}`;
    const refresh = (refreshToken: string) => request(idp.app).post('/token').auth('refresh-web', 'refresh-web-secret').type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken });
    const first = await refresh((await exchangeCode(idp.app, signedIn.code, 'refresh-web')).body.refresh_token);
    expect(first.status).toBe(200);
    // A refresh is not the session's use: the idle lifetime keeps running.
    expect(await redis.ttl(key)).toBeLessThanOrEqual(60);

    await redis.del(key); // what the idle lifetime running out does
    expect((await refresh(first.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('threat: an interaction resumed after the idle lifetime ran out completes on the idle-expired session: it does not', async () => {
    behaviour = async () => ({ sessionIdleLifetime: 60 });
    const browser = agent();
    const { token } = await mintToken(idp.app);
    const pending = await authorize(browser, idp.provider, { clientId: 'consenting-web', token });
    expect(pending).toMatchObject({ kind: 'interaction', prompt: 'consent' });
    await redis.del(`hook:session:{${redeemed.at(-1)!.sessionUid}}`);

    const resume = (await browser.post(`/interaction/${(pending as { uid: string }).uid}/confirm`).type('form').send({})).headers.location!;
    const res = await browser.get(new URL(resume, 'http://localhost:3000').pathname);
    const location = new URL(res.headers.location!, 'http://localhost:3000');
    expect(location.searchParams.get('code')).toBeNull();
    expect(revoked.at(-1)).toMatchObject({ reason: 'idle_expired', accountId: 'demo', clientId: 'consenting-web' });
  });
});

describe('max_age', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'max-age:' });

  it('is judged against the native login, so a transfer cannot make an old login look fresh', async () => {
    const { native } = await mintToken(idp.app);
    const original = (await idp.provider.RefreshToken.find(native.refresh_token))!;
    const old = new idp.provider.RefreshToken({
      client: (await idp.provider.Client.find('example-native'))!,
      accountId: original.accountId, grantId: original.grantId!, gty: 'authorization_code', scope: original.scope!,
      amr: ['pwd'], authTime: Math.floor(Date.now() / 1000) - 600,
    });
    const mint = async () => (await request(idp.app).post('/token').type('form').send({
      grant_type: 'refresh_token', client_id: 'example-native', refresh_token: await old.save(), audience: 'urn:localhost:3000:session_transfer',
    })).body.access_token as string;

    expect(await authorize(request.agent(idp.app), idp.provider, { token: await mint(), maxAge: 60 }))
      .toMatchObject({ kind: 'interaction', prompt: 'login', reasons: ['max_age'] });
    expect((await authorize(request.agent(idp.app), idp.provider, { token: await mint(), maxAge: 3600 })).kind).toBe('code');
  });
});

describe('pushed authorization requests', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'par:' });

  it('honours a token in the front-channel query beside request_uri', async () => {
    const pushed = await request(idp.app).post('/request').auth('example-web', 'example-web-secret').type('form').send({
      client_id: 'example-web', response_type: 'code', redirect_uri: 'http://localhost:3001/callback', scope: 'openid',
    });
    expect(pushed.status).toBe(201);
    const { token } = await mintToken(idp.app);
    const res = await request(idp.app).get(`/auth?${new URLSearchParams({ client_id: 'example-web', request_uri: pushed.body.request_uri, session_transfer_token: token })}`);
    expect(res.status).toBe(303);
    expect(new URL(res.headers.location!).searchParams.get('code')).toEqual(expect.any(String));
  });

  const push = (params: Record<string, string>, headers: Record<string, string> = {}) => request(idp.app).post('/request')
    .auth('example-web', 'example-web-secret').set(headers).type('form')
    .send({ client_id: 'example-web', response_type: 'code', redirect_uri: 'http://localhost:3001/callback', scope: 'openid', ...params });

  /** Every value under the provider's storage prefix, as one string. */
  async function stored(): Promise<string> {
    const keys = await redis.keys('par:oidc:*');
    const read = async (key: string): Promise<unknown> => {
      const type = await redis.type(key);
      if (type === 'string') return redis.get(key);
      if (type === 'zset') return redis.zrange(key, '0', '-1');
      if (type === 'set') return redis.smembers(key);
      if (type === 'hash') return redis.hgetall(key);
      return redis.lrange(key, 0, -1);
    };
    // A pushed request keeps its parameters inside encoded objects (a JWT's base64url segments):
    // each string is searched decoded too, or a raw token stored there would go unseen.
    const text = JSON.stringify(await Promise.all(keys.map(read)));
    const decoded = (text.match(/[A-Za-z0-9_-]{16,}/g) ?? []).map((part) => Buffer.from(part, 'base64url').toString('utf8'));
    return [text, ...decoded].join('\n');
  }

  it('accepts a token pushed in the request body, keeps only its hash, and consumes it at the front-channel request', async () => {
    const { token } = await mintToken(idp.app);
    const pushed = await push({ session_transfer_token: token });
    expect(pushed.status).toBe(201);
    expect(await stored()).not.toContain(token);
    // The push did not consume it.
    expect(await redis.exists(tokenKey(redis, 'par:', token))).toBe(1);

    const res = await request(idp.app).get(`/auth?${new URLSearchParams({ client_id: 'example-web', request_uri: pushed.body.request_uri })}`);
    expect(new URL(res.headers.location!).searchParams.get('code')).toEqual(expect.any(String));
    expect((await redis.getBuffer(tokenKey(redis, 'par:', token)))?.toString('latin1')).toMatch(/^!/); // consumed: only the replay marker is left
  });

  it("binds to the browser's address at the front-channel request, not to the pushing server's", async () => {
    const bound = testIdentityProvider({ redis, keyPrefix: 'par-bound:', trustProxy: 1 });
    const { rejected } = collect(bound.transfer);
    const device = { 'x-forwarded-for': '203.0.113.7' };
    const server = { 'x-forwarded-for': '198.51.100.1' };
    const pushFrom = (token: string) => request(bound.app).post('/request').auth('example-web', 'example-web-secret').set(server).type('form')
      .send({ client_id: 'example-web', response_type: 'code', redirect_uri: 'http://localhost:3001/callback', scope: 'openid', prompt: 'none', session_transfer_token: token });
    const front = (requestUri: string, from: Record<string, string>) => request(bound.app)
      .get(`/auth?${new URLSearchParams({ client_id: 'example-web', request_uri: requestUri })}`).set(from);

    const first = await pushFrom((await mintToken(bound.app, {}, device)).token);
    expect(new URL((await front(first.body.request_uri, device)).headers.location!).searchParams.get('code')).toEqual(expect.any(String));

    const second = await pushFrom((await mintToken(bound.app, {}, device)).token);
    const refused = await front(second.body.request_uri, { 'x-forwarded-for': '192.0.2.9' });
    expect(new URL(refused.headers.location!).searchParams.get('error')).toBe('login_required');
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', binding: { expected: '203.0.113.7', actual: '192.0.2.9' } });
  });

  it('threat: a reuse of the request_uri from elsewhere (who saw only the URL) revokes the victim\'s grant: it does not', async () => {
    const guarded = testIdentityProvider({ redis, keyPrefix: 'par-reuse:', onReplay: 'revoke_grant', trustProxy: 1 });
    const { rejected } = collect(guarded.transfer);
    const device = { 'x-forwarded-for': '203.0.113.7' };
    const { token, native } = await mintToken(guarded.app, {}, device);
    const pushed = await request(guarded.app).post('/request').auth('consenting-web', 'consenting-web-secret').type('form').send({
      client_id: 'consenting-web', response_type: 'code', redirect_uri: 'https://consenting-web.example/cb', scope: 'openid', session_transfer_token: token,
    });
    const front = (from: Record<string, string>) => request(guarded.app)
      .get(`/auth?${new URLSearchParams({ client_id: 'consenting-web', request_uri: pushed.body.request_uri })}`).set(from);
    // The victim's browser: signed in by the token, the consent prompt pending.
    expect((await front(device)).headers.location).toMatch(/^\/interaction\//);
    // Someone with the URL, elsewhere: the token is spent (a replay), and nothing more happens.
    await front({ 'x-forwarded-for': '198.51.100.9' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'replayed' });
    const refresh = await request(guarded.app).post('/token').type('form')
      .send({ grant_type: 'refresh_token', client_id: 'example-native', refresh_token: native.refresh_token });
    expect(refresh.status).toBe(200);
  });

  it('never takes a hash for a token outside a pushed request', async () => {
    const { token } = await mintToken(idp.app);
    const forged = `pushed:${hashToken(token)}`;
    expect((await authorize(request.agent(idp.app), idp.provider, { token: forged, prompt: 'none' })).kind).toBe('error');
    expect(await redis.exists(tokenKey(redis, 'par:', token))).toBe(1);
  });

  it('refuses a token inside a signed request object, which would be stored as it is', async () => {
    const jar = testIdentityProvider({ redis, keyPrefix: 'par:' }, { features: { requestObjects: { enabled: true }, devInteractions: { enabled: false } } });
    const requestObject = await new SignJWT({
      client_id: 'example-web', response_type: 'code', redirect_uri: 'http://localhost:3001/callback', scope: 'openid', session_transfer_token: 'raw-token-value',
    }).setProtectedHeader({ alg: 'HS256' }).setIssuer('example-web').setAudience('http://localhost:3000').setIssuedAt().setExpirationTime('1m')
      .sign(new TextEncoder().encode('example-web-secret'));
    const pushed = await request(jar.app).post('/request').auth('example-web', 'example-web-secret').type('form')
      .send({ client_id: 'example-web', request: requestObject });
    expect(pushed.status).toBe(400);
    expect(pushed.body).toEqual({ error: 'invalid_request', error_description: expect.stringContaining('must not be inside a request object') });
    expect(await stored()).not.toContain('raw-token-value');
  });
});

describe('with Redis unavailable', () => {
  it('ends at the login prompt (login_required with prompt=none) within 2 s', async () => {
    const server = await startRedisServer();
    const client = redisClient(server.url);
    try {
      // The provider's own storage stays in memory: this is about the token store's outage alone.
      const idp = testIdentityProvider({ redis: client, keyPrefix: 'down:' }, { adapter: undefined });
      const { rejected } = collect(idp.transfer);
      const { token } = await mintToken(idp.app);
      await server.stop();
      const started = Date.now();
      expect(await authorize(request.agent(idp.app), idp.provider, { token })).toMatchObject({ kind: 'interaction', prompt: 'login' });
      expect(await authorize(request.agent(idp.app), idp.provider, { token, prompt: 'none' })).toMatchObject({ kind: 'error', error: 'login_required' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(rejected.map((e) => e.reason)).toEqual(['store_unavailable', 'store_unavailable']);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});

describe('cookieDomain', () => {
  /** The Set-Cookie lines that clear the transfer cookie, lower-cased. */
  const clearing = (res: request.Response) => (res.headers['set-cookie'] as unknown as string[])
    .filter((line) => line.startsWith('auth0_session_transfer_token=')).map((line) => line.toLowerCase());

  it('clears a used cookie host-only and for the domain the apps set it with, Secure and SameSite=None over HTTPS', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'cookie-domain:', cookieDomain: '.example.com', trustProxy: 1 });
    const { token } = await mintToken(idp.app);
    // One TLS-terminating proxy in front: the request reached it over HTTPS from the same device.
    const agent = request.agent(idp.app).set('x-forwarded-proto', 'https').set('x-forwarded-for', '127.0.0.1');
    const result = await authorize(agent, idp.provider, { cookie: token });
    expect(result.kind).toBe('code');
    const lines = clearing(result.res);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/^auth0_session_transfer_token=; path=\/; expires=thu, 01 jan 1970 00:00:00 gmt;/);
      expect(line).toContain('; secure');
      expect(line).toContain('; samesite=none');
      expect(line).toContain('; httponly');
    }
    expect(lines.filter((line) => line.includes('; domain=.example.com'))).toHaveLength(1);
  });

  it('without it, clears host-only; over plain HTTP with SameSite=Lax and no Secure', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'cookie-host:' });
    const { token } = await mintToken(idp.app);
    const result = await authorize(request.agent(idp.app), idp.provider, { cookie: token });
    const lines = clearing(result.res);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('domain=');
    expect(lines[0]).not.toContain('secure');
    expect(lines[0]).toContain('samesite=lax');
  });
});

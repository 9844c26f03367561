import { afterAll, describe, expect, it } from '@jest/globals';
import { format } from 'node:util';
import express from 'express';
import Provider from 'oidc-provider';
import request from 'supertest';

import { debug } from '../../lib/debug.js';
import { MemoryStore, sessionTransfer, type IgnoredEvent, type WarningEvent } from '../../lib/index.js';
import { ISSUER, redisClient, testIdentityProvider, webTestClient } from '../helpers/idp.js';
import { authorize, mintToken } from '../helpers/web-login.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

/** The codes of the process warnings emitted while `run` runs. */
async function processWarnings(run: () => Promise<void>): Promise<unknown[]> {
  const codes: unknown[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((_warning: string, options?: { code?: string }) => codes.push(options?.code)) as typeof process.emitWarning;
  try {
    await run();
  } finally {
    process.emitWarning = emitWarning;
  }
  return codes;
}

describe('a token that arrives and is not used', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'ignored:' });
  const ignored: IgnoredEvent[] = [];
  idp.transfer.on('ignored', (event) => ignored.push(event));
  const agent = () => request.agent(idp.app);

  it('at a client that accepts no transfers: reported with the setting to change, and left valid', async () => {
    const { token } = await mintToken(idp.app);
    const res = await authorize(agent(), idp.provider, { clientId: 'closed-web', redirectUri: 'http://localhost:3002/callback', token, prompt: 'none' });
    expect(res).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(ignored.at(-1)).toMatchObject({
      type: 'ignored', reason: 'client_accepts_no_transfers', clientId: 'closed-web', transport: 'query', ip: '127.0.0.1',
      message: expect.stringContaining('session_transfer.allowed_authentication_methods'),
    });
    expect(JSON.stringify(ignored.at(-1))).not.toContain(token);
    expect((await authorize(agent(), idp.provider, { clientId: 'query-web', token, prompt: 'none' })).kind).toBe('code');
  });

  it('by a transport the client does not allow: reported, naming the transport to add, and left valid', async () => {
    const { token } = await mintToken(idp.app);
    expect((await authorize(agent(), idp.provider, { clientId: 'query-web', cookie: token, prompt: 'none' })).kind).toBe('error');
    expect(ignored.at(-1)).toMatchObject({
      reason: 'transport_not_allowed', clientId: 'query-web', transport: 'cookie',
      message: 'client "query-web" does not accept tokens by cookie: add "cookie" to its session_transfer.allowed_authentication_methods (now ["query"])',
    });
    expect((await authorize(agent(), idp.provider, { clientId: 'cookie-web', cookie: token, prompt: 'none' })).kind).toBe('code');
  });

  it('with prompt=login: reported, and left valid', async () => {
    const { token } = await mintToken(idp.app);
    expect((await authorize(agent(), idp.provider, { clientId: 'query-web', token, prompt: 'login' })).kind).toBe('interaction');
    expect(ignored.at(-1)).toMatchObject({ reason: 'login_requested', clientId: 'query-web', transport: 'query' });
    expect((await authorize(agent(), idp.provider, { clientId: 'query-web', token, prompt: 'none' })).kind).toBe('code');
  });

  it('no event when no token arrives', async () => {
    const before = ignored.length;
    await authorize(agent(), idp.provider, { clientId: 'closed-web', redirectUri: 'http://localhost:3002/callback', prompt: 'none' });
    expect(ignored).toHaveLength(before);
  });
});

describe('a provider serving requests without attach()', () => {
  it('answers with an error that names attach(), and warns once', async () => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const provider = new Provider(ISSUER, transfer.configure({ clients: [webTestClient('query-web', { allowed_authentication_methods: ['query'] })] }));
    const warnings: WarningEvent[] = [];
    transfer.on('warning', (event) => warnings.push(event));
    const query = `/auth?client_id=query-web&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://query-web.example/cb')}`;
    let responses: request.Response[] = [];
    const printed = await processWarnings(async () => {
      responses = [await request(provider.callback()).get(query), await request(provider.callback()).get(query)];
    });
    for (const res of responses) {
      expect(res.status).toBe(400);
      expect(res.text).toContain('before transfer.attach(provider, { app }) was called');
    }
    expect(warnings).toEqual([{ type: 'warning', code: 'not_attached', message: expect.stringContaining('call attach() right after new Provider()') }]);
    expect(printed).toEqual(['OIDC_SESSION_TRANSFER_NOT_ATTACHED']);
  });
});

describe("attach() and the host's proxy settings", () => {
  const setup = (trustProxy?: number) => {
    const transfer = sessionTransfer({ store: new MemoryStore(), ...(trustProxy ? { trustProxy } : {}) });
    const provider = new Provider(ISSUER, transfer.configure({}));
    const warnings: WarningEvent[] = [];
    transfer.on('warning', (event) => warnings.push(event));
    return { transfer, provider, warnings };
  };

  it("without trustProxy, leaves the app's own trust proxy as it is and says why binding will not follow it", () => {
    const { transfer, provider, warnings } = setup();
    const app = express();
    app.set('trust proxy', 'loopback');
    transfer.attach(provider, { app });
    expect(app.get('trust proxy')).toBe('loopback');
    expect(warnings).toEqual([expect.objectContaining({ code: 'trust_proxy_mismatch', message: expect.stringContaining('Set trustProxy') })]);
  });

  it('without trustProxy, warns when the provider trusts proxies itself', () => {
    const { transfer, provider, warnings } = setup();
    provider.proxy = true;
    transfer.attach(provider, { app: express() });
    expect(warnings).toEqual([expect.objectContaining({ code: 'trust_proxy_mismatch', message: expect.stringContaining('provider.proxy is true') })]);
  });

  it('without trustProxy and with nothing trusting proxies, changes nothing and says nothing', () => {
    const { transfer, provider, warnings } = setup();
    const app = express();
    transfer.attach(provider, { app });
    expect(app.get('trust proxy')).toBe(false);
    expect(warnings).toEqual([]);
  });

  it("with trustProxy, sets the app's trust proxy to the same rule", () => {
    const { transfer, provider, warnings } = setup(1);
    const app = express();
    transfer.attach(provider, { app });
    expect(typeof app.get('trust proxy')).toBe('function');
    expect(provider.proxy).toBe(true);
    expect(warnings).toEqual([]);
  });
});

describe('forwarded headers while no proxy is trusted', () => {
  it('are reported once, naming trustProxy', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'forwarded:' });
    const warnings: WarningEvent[] = [];
    idp.transfer.on('warning', (event) => warnings.push(event));
    await mintToken(idp.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    await mintToken(idp.app, {}, { forwarded: 'for=203.0.113.5' });
    expect(warnings).toEqual([expect.objectContaining({ code: 'forwarded_header_ignored', message: expect.stringContaining('trustProxy: 1') })]);
  });

  it('are not reported when a proxy is trusted', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'forwarded-trusted:', trustProxy: 1 });
    const warnings: WarningEvent[] = [];
    idp.transfer.on('warning', (event) => warnings.push(event));
    await mintToken(idp.app, {}, { 'x-forwarded-for': '203.0.113.5' });
    expect(warnings).toEqual([]);
  });
});

describe('DEBUG=oidc-session-transfer', () => {
  it('prints mints, redeems and ignored tokens, never a token', async () => {
    const idp = testIdentityProvider({ redis, keyPrefix: 'debug:' });
    const lines: string[] = [];
    const [enabled, log] = [debug.enabled, debug.log];
    debug.enabled = true;
    debug.log = (...args: unknown[]) => lines.push(format(...args));
    let tokens: string[] = [];
    try {
      const minted = [await mintToken(idp.app), await mintToken(idp.app)];
      tokens = minted.flatMap(({ token, native }) => [token, native.refresh_token]);
      await authorize(request.agent(idp.app), idp.provider, { clientId: 'query-web', token: minted[0]!.token, prompt: 'none' });
      await authorize(request.agent(idp.app), idp.provider, { clientId: 'cookie-web', token: minted[1]!.token, prompt: 'none' });
    } finally {
      debug.enabled = enabled;
      debug.log = log;
    }
    const printed = lines.join('\n');
    expect(printed).toMatch(/oidc-session-transfer issued \{[^\n]*clientId: 'example-native'/);
    expect(printed).toMatch(/oidc-session-transfer redeemed \{[^\n]*clientId: 'query-web'/);
    expect(printed).toMatch(/oidc-session-transfer ignored \{[^\n]*reason: 'transport_not_allowed'/);
    for (const token of tokens) expect(printed).not.toContain(token);
  });
});

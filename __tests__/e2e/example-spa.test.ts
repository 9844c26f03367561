/**
 * The real auth0-spa-js in Chromium against `npm start`'s example-spa client: a page at SPA_URL
 * opened with `?session_transfer_token=…` (as the native app opens it) signs in through
 * `sessionTransferTokenQueryParamName` and `loginWithRedirect()`, with no login form, and its
 * code exchange is a cross-origin fetch that works only with the provider's CORS for the SPA.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';

import { NativeApp } from '../../examples/native/app.js';
import { AUTH0_SDK_READY, startExampleServers, type ExampleServers } from '../../examples/servers.js';
import { MemoryStore } from '../../lib/index.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';

const BUNDLE = createRequire(import.meta.url).resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js');

/**
 * The SPA: auth0-spa-js's browser bundle and one page that logs in with a transfer token from its
 * URL, or finishes the login on its return and shows the ID token's sub and amr. Errors show
 * in #error, so a failure reads as the SDK's message rather than a timeout.
 */
function spaPage(domain: string): string {
  return `<!doctype html>
<meta charset="utf-8"><title>example-spa</title>
<script src="/auth0-spa-js.js"></script>
<p id="user"></p><p id="amr"></p><p id="error"></p>
<script type="module">
  try {
    const client = await auth0.createAuth0Client({
      domain: ${JSON.stringify(domain)},
      clientId: 'example-spa',
      sessionTransferTokenQueryParamName: 'session_transfer_token',
      authorizationParams: { redirect_uri: location.origin + '/' },
    });
    const query = new URLSearchParams(location.search);
    if (query.has('code')) {
      await client.handleRedirectCallback();
      const claims = await client.getIdTokenClaims();
      document.getElementById('amr').textContent = claims.amr.join(' ');
      document.getElementById('user').textContent = claims.sub;
    } else {
      await client.loginWithRedirect();
    }
  } catch (err) {
    document.getElementById('error').textContent = err.error_description || err.message || String(err);
  }
</script>`;
}

async function serveSpa(domain: () => string): Promise<Server> {
  const bundle = await readFile(BUNDLE);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://spa').pathname;
    if (path === '/auth0-spa-js.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(spaPage(domain()));
    else res.writeHead(404).end();
  });
  server.listen(0);
  await once(server, 'listening');
  return server;
}

(chromiumAvailable() ? describe : describe.skip)('auth0-spa-js in Chromium against example-spa', () => {
  let browser: Browser;
  let example: ExampleServers;
  let spa: Server;
  let spaUrl: string;

  beforeAll(async () => {
    // `localhost` on both sides: a secure context for the SDK's WebCrypto without TLS.
    spa = await serveSpa(() => new URL(example.issuer).origin);
    spaUrl = `http://localhost:${(spa.address() as AddressInfo).port}/`;
    example = await startExampleServers({
      port: 0,
      webPort: 0,
      issuer: AUTH0_SDK_READY.issuer,
      spaUrls: [spaUrl],
      transfer: { store: new MemoryStore(), auth0Compatible: AUTH0_SDK_READY.auth0Compatible },
    });
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await example?.close();
    spa?.closeAllConnections();
    spa?.close();
  });

  it('signs in from ?session_transfer_token= with no login form, and the token leaves the URL', async () => {
    const native = new NativeApp({ issuer: example.issuer });
    const { token } = await native.mint((await native.signIn('demo@example.com', 'demo')).refresh_token);

    const context = await browser.newContext();
    const page = await context.newPage();
    const visited: string[] = [];
    page.on('request', (request) => { if (request.isNavigationRequest()) visited.push(request.url()); });
    await page.goto(`${spaUrl}?session_transfer_token=${token}`);
    // Back on the SPA, done or failed; a provider's error page never gets there.
    await page.waitForSelector('#user:not(:empty), #error:not(:empty)', { timeout: 15_000 });

    expect(await page.textContent('#error')).toBe('');
    expect(await page.textContent('#user')).toBe('demo');
    expect((await page.textContent('#amr'))?.split(' ')).toContain('session_transfer');
    expect(visited.some((url) => url.includes('/interaction/'))).toBe(false);
    expect(visited.some((url) => url.startsWith(new URL('/authorize', example.issuer).href) && url.includes(`session_transfer_token=${token}`))).toBe(true);
    expect(page.url()).not.toContain(token);
    await context.close();
  }, 30_000);
});

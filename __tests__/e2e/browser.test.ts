import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { NativeApp } from '../../examples/native/app.js';
import { startExampleServers, type ExampleServers } from '../../examples/servers.js';
import { MemoryStore } from '../../lib/index.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';

const OUTPUT = 'test-output/e2e';

(chromiumAvailable() ? describe : describe.skip)('in a real browser (headless Chromium)', () => {
  let browser: Browser;
  let example: ExampleServers;
  let issuer: string;
  let webUrl: string;

  beforeAll(async () => {
    // Distinct hosts, so the provider's and the web app's cookies are apart as on real domains.
    example = await startExampleServers({
      port: 0, webPort: 0, host: '127.0.0.1', webUrl: (port) => `http://127.0.0.1:${port}`, transfer: { store: new MemoryStore() },
    });
    ({ issuer, webUrl } = example);
    browser = await launchChromium();
    await mkdir(OUTPUT, { recursive: true });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await example?.close();
  });

  /** What the native app does: sign in, then mint (both over HTTP from this machine). */
  async function nativeToken(login = 'demo@example.com', password = login.split('@')[0]!): Promise<string> {
    // This provider keeps the standard paths and form bodies; the app still proves its DPoP key.
    const app = new NativeApp({ issuer, auth0Paths: false, json: false });
    return (await app.mint((await app.signIn(login, password)).refresh_token)).token;
  }

  /** A fresh browser profile that records every page it visits. */
  async function open(): Promise<{ context: BrowserContext; page: Page; visited: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const visited: string[] = [];
    page.on('request', (request) => { if (request.isNavigationRequest()) visited.push(request.url()); });
    return { context, page, visited };
  }

  it('cookie delivery: signs in on the web app without a login form', async () => {
    const token = await nativeToken();
    const { context, page, visited } = await open();
    // What a WebView does: the app sets the cookie on the identity provider's origin.
    await context.addCookies([{ name: 'auth0_session_transfer_token', value: token, url: issuer, httpOnly: true }]);
    await page.goto(`${webUrl}/login`);
    await page.waitForURL(`${webUrl}/profile`);
    expect(await page.textContent('#user')).toBe('demo@example.com');
    expect(await page.textContent('#transfer')).toContain('session transfer');
    expect(visited.some((url) => url.includes('/interaction/'))).toBe(false);
    await page.screenshot({ path: `${OUTPUT}/profile.png`, fullPage: true });
    expect(existsSync(`${OUTPUT}/profile.png`)).toBe(true);
    // The used cookie is gone.
    expect((await context.cookies(issuer)).some((c) => c.name === 'auth0_session_transfer_token')).toBe(false);
    await context.close();
  }, 30_000);

  it('query delivery: signs in through the login route, and the token is gone from the URL and history', async () => {
    const token = await nativeToken();
    const { context, page } = await open();
    await page.goto(`${webUrl}/login?session_transfer_token=${token}`);
    await page.waitForURL(`${webUrl}/profile`);
    expect(page.url()).not.toContain(token);
    expect(await page.textContent('#user')).toBe('demo@example.com');
    // Redirects leave no history entries: back goes to where the tab started, not to the token.
    await page.goBack();
    expect(page.url()).toBe('about:blank');
    await context.close();
  }, 30_000);

  it('a browser signed in as another user: that session ends and the login form is shown', async () => {
    const { context, page } = await open();
    await page.goto(`${webUrl}/login`);
    await page.fill('input[name="login"]', 'other@example.com');
    await page.fill('input[name="password"]', 'other');
    await page.click('button[type="submit"]');
    await page.click('button[type="submit"]'); // consent for a password login
    await page.waitForURL(`${webUrl}/profile`);
    expect(await page.textContent('#user')).toBe('other@example.com');

    await page.goto(`${webUrl}/login?session_transfer_token=${await nativeToken()}`);
    await page.waitForSelector('input[name="password"]');
    expect(page.url()).toContain('/interaction/');
    await page.goto(new URL('/account', issuer).href);
    expect(await page.textContent('main')).toContain('not signed in');
    await context.close();
  }, 30_000);

  it('a replayed token: the login form is shown', async () => {
    const token = await nativeToken();
    const first = await open();
    await first.page.goto(`${webUrl}/login?session_transfer_token=${token}`);
    await first.page.waitForURL(`${webUrl}/profile`);
    await first.context.close();

    const second = await open();
    await second.page.goto(`${webUrl}/login?session_transfer_token=${token}`);
    await second.page.waitForSelector('input[name="password"]');
    expect(second.page.url()).toContain('/interaction/');
    await second.context.close();
  }, 30_000);
});

/**
 * The README's "Try it", literally: `npm start`'s program (listening as it does, on every
 * interface), `npm run native -- --form auth0`, and the printed `http://localhost:…` link or
 * cookie in Chromium. Only the ports differ (any free ones, passed as PORT and WEB_PORT). Node's
 * fetch and Chromium may reach `localhost` over different address families (127.0.0.1, ::1).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';

import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';
import { freePort } from '../helpers/redis-server.js';
import { runTsx } from '../helpers/tsx-process.js';

/** `npm run native -- …args` with the environment the README's shell would have; its output. */
function runNative(env: Record<string, string>, ...args: string[]) {
  return runTsx('examples/native/cli.ts', args, env);
}

(chromiumAvailable() ? describe : describe.skip)('the README\'s "Try it" in Chromium', () => {
  let idp: IdpProcess;
  let browser: Browser;
  let env: Record<string, string>;

  beforeAll(async () => {
    idp = await startIdpProcess({ REDIS_URL: '' });
    env = { PORT: String(idp.ports.idp), WEB_PORT: String(idp.ports.web) };
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  it('query delivery: the printed localhost link signs the browser in', async () => {
    const native = await runNative(env, '--form', 'auth0');
    expect(native.code).toBe(0);
    // As the Auth0 SDKs do by default: JSON, Auth0's paths, a DPoP-bound refresh token.
    expect(native.stdout).toContain('the app now holds a DPoP-bound refresh token');
    const link = /a\) Query delivery[^\n]*\n\s+(\S+)/.exec(native.stdout)![1]!;
    expect(link).toMatch(new RegExp(`^http://localhost:${idp.ports.web}/login\\?session_transfer_token=`));

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link);
    await page.waitForURL(`http://localhost:${idp.ports.web}/profile`);
    expect(await page.textContent('#user')).toBe('demo@example.com');
    expect(idp.output()).not.toContain('device_mismatch');
    await context.close();
  }, 30_000);

  it('cookie delivery: the printed cookie, set for the provider, signs the browser in', async () => {
    const native = await runNative(env, '--form', 'rfc8693');
    expect(native.code).toBe(0);
    const [, issuer, login] = /set this cookie for (\S+), then open (\S+)/.exec(native.stdout)!;
    const [, name, value] = /\n\s+([\w]+)=([\w-]+); Path=\/; HttpOnly; SameSite=Lax/.exec(native.stdout)!;
    expect(issuer).toBe(`http://localhost:${idp.ports.idp}/`);

    const context = await browser.newContext();
    await context.addCookies([{ name: name!, value: value!, url: issuer!, httpOnly: true, sameSite: 'Lax' }]);
    const page = await context.newPage();
    await page.goto(login!);
    await page.waitForURL(`http://localhost:${idp.ports.web}/profile`);
    expect(await page.textContent('#user')).toBe('demo@example.com');
    await context.close();
  }, 30_000);
});

describe('npm run native without a provider', () => {
  it('says in one line what it tried and what to run', async () => {
    const port = await freePort();
    const native = await runNative({ PORT: String(port) });
    expect(native.code).toBe(1);
    expect(native.stderr.trim().split('\n')).toEqual([
      `npm run native: could not reach the identity provider at http://localhost:${port}/ (ECONNREFUSED): `
        + 'start it with `npm start` (with the same PORT), or name it with --issuer URL',
    ]);
  }, 30_000);
});

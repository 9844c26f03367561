/**
 * The example's Native SSO the way the README runs it: `npm start`'s program, `npm run native`
 * (the first app, through the browser, keeping its device secret in the shared keychain file),
 * `npm run native -- --app second` (a second process signing in by Native SSO, no browser),
 * `--logout-device`, and `npm run demo`'s native → native → web → device-wide logout steps.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Browser } from '../../examples/browser.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';
import { runTsx } from '../helpers/tsx-process.js';

/** An ID token's payload, unverified (the provider issued it; the test reads what the apps hold). */
const claimsOf = (idToken: string) => JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as { sub: string; sid: string; ds_hash?: string };
const SID = /[0-9a-f-]{36}/;

describe('npm run native: two apps, Native SSO and the device-wide logout', () => {
  let idp: IdpProcess;
  let dir: string;
  let keychain: string;
  let env: Record<string, string>;
  const native = (...args: string[]) => runTsx('examples/native/cli.ts', args, env);

  beforeAll(async () => {
    idp = await startIdpProcess({ REDIS_URL: '' });
    dir = await mkdtemp(join(tmpdir(), 'example-native-sso-'));
    keychain = join(dir, 'keychain.json');
    // As a shell would run them: the ports npm start got, the keychain named by NATIVE_KEYCHAIN.
    env = { PORT: String(idp.ports.idp), WEB_PORT: String(idp.ports.web), NATIVE_KEYCHAIN: keychain };
  }, 30_000);

  afterAll(async () => {
    await idp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--help documents the second app, the keychain and --logout-device', async () => {
    const help = await native('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--app second');
    expect(help.stdout).toContain(`--keychain PATH  the shared keychain file (default ${keychain},`);
    expect(help.stdout).toContain('--logout-device');
  }, 30_000);

  it('the second app without a first app\'s sign-in says what to run first, exit status 1', async () => {
    const second = await runTsx('examples/native/cli.ts', ['--app', 'second', '--keychain', join(dir, 'none.json')], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`no device secret for http://localhost:${idp.ports.idp}/ in the shared keychain ${join(dir, 'none.json')}: sign the first app in first (npm run native)`);
  }, 30_000);

  it('first app → second app by Native SSO (same user, same sid) → web from the second app → device logout signs everything out', async () => {
    const first = await native();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('signed in as demo@example.com (the app now holds a DPoP-bound refresh token)');
    const firstSid = new RegExp(`Native SSO: device session (${SID.source}); its device secret and the ID token are in the shared keychain ${keychain}`).exec(first.stdout)?.[1];
    expect(firstSid).toBeDefined();
    // The keychain holds what the first app got: a device secret, an ID token of that device session; this user only.
    const kept = JSON.parse(await readFile(keychain, 'utf8')) as { issuer: string; user: string; id_token: string; device_secret: string };
    expect(kept).toMatchObject({ issuer: `http://localhost:${idp.ports.idp}/`, user: 'demo@example.com', device_secret: expect.any(String) });
    expect(claimsOf(kept.id_token)).toMatchObject({ sub: 'demo', sid: firstSid, ds_hash: expect.any(String) });
    expect((await stat(keychain)).mode & 0o777).toBe(0o600);

    const second = await native('--app', 'second');
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`signed in by Native SSO as demo@example.com, with no browser: example-native-second exchanged the first app's ID token and device secret\nfrom the shared keychain ${keychain}`);
    expect(second.stdout).toContain(`same user as the first app: sub demo; same device session: sid ${firstSid}`);
    expect(second.stdout).not.toContain('signed in as demo@example.com (');
    const link = /a\) Query delivery[^\n]*\n\s+(\S+)/.exec(second.stdout)![1]!;
    expect(link).toMatch(new RegExp(`^http://localhost:${idp.ports.web}/login\\?session_transfer_token=`));

    // The second app's link signs a browser into the web app.
    const browser = new Browser();
    const profile = await browser.open(link);
    expect(new URL(profile.url).pathname).toBe('/profile');
    expect(profile.text).toContain('<h1 id="user">demo@example.com</h1>');
    const webLogin = new URL('/login', `http://localhost:${idp.ports.web}`).href;
    expect(new URL((await browser.open(webLogin)).url).pathname).toBe('/profile');

    const logout = await native('--logout-device', '--app', 'second');
    expect(logout.stderr).toBe('');
    expect(logout.code).toBe(0);
    expect(logout.stdout).toContain(`device-wide logout: example-native-second revoked the device secret of device session ${firstSid}`);
    expect(logout.stdout).toMatch(/the revoked device secret no longer signs an app in: invalid_grant/);
    await expect(stat(keychain)).rejects.toMatchObject({ code: 'ENOENT' });

    // The web session the second app started is gone: the web app's login asks for the password.
    const after = await browser.open(webLogin);
    expect(after.text).toContain('name="password"');

    // And the second app has nothing to sign in with.
    const again = await native('--app', 'second');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no device secret');
  }, 60_000);

  it('--logout-device with nothing in the keychain: exit status 1, one line', async () => {
    const logout = await native('--logout-device');
    expect(logout.code).toBe(1);
    expect(logout.stderr.trim().split('\n').filter((line) => line.startsWith('npm run native:'))).toEqual([
      `npm run native: no device secret for http://localhost:${idp.ports.idp}/ in the shared keychain ${keychain}: sign the first app in first (npm run native)`,
    ]);
  }, 30_000);
});

describe('npm run demo: native → native (Native SSO) → web → device-wide logout', () => {
  it('the second app gets the first app\'s user and sid, and after the logout refreshes, Native SSO and the web session are refused', async () => {
    const demo = await runTsx('examples/demo.ts');
    expect(demo.code).toBe(0);
    const out = demo.stdout;
    // The existing steps still run.
    expect(out).toContain('user: demo@example.com; session came from a transfer: yes');
    const firstSid = new RegExp(`its ID token has sid (${SID.source}) and ds_hash yes`).exec(out)?.[1];
    expect(firstSid).toBeDefined();
    expect(out).toMatch(/device secret \S+…\(\d+ chars\)/);
    const secondSid = new RegExp(`same user: yes \\(sub demo\\); same device session: yes \\(sid (${SID.source})\\)`).exec(out)?.[1];
    expect(secondSid).toBe(firstSid);
    expect(out).toMatch(/8\. The second app mints[^\n]*\n\s+web app user: demo@example\.com; session came from a transfer: yes/);
    expect(out).toContain('the browser\'s session at the provider is live: yes');
    expect(out).toMatch(/9\. Device-wide logout[^\n]*\n\s+answered 200/);
    const after = out.slice(out.indexOf('\n10. '));
    expect(after).toContain('first app\'s refresh: refused (invalid_grant)');
    expect(after).toContain('second app\'s refresh: refused (invalid_grant)');
    expect(after).toContain('Native SSO with the revoked device secret: refused (invalid_grant)');
    expect(after).toContain('the web app\'s login in the same browser: the login form (the session at the provider is gone)');
  }, 60_000);
});

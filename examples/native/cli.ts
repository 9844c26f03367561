/**
 * A native-app simulator: signs in like the app would, mints a Session Transfer Token, and prints
 * the two ways to hand it to the web app. The first app keeps its device secret and ID token in a
 * shared keychain file, from which the second app (`--app second`) signs in by Native SSO, and
 * `--logout-device` ends the device session. `npm run native -- --help` lists the flags.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

import { unreachableProvider } from '../unreachable.js';
import { idTokenClaims, NATIVE_SSO_SCOPE, NativeApp, type MintForm, type NativeTokens } from './app.js';
import { DEFAULT_KEYCHAIN, SharedKeychain } from './keychain.js';

// The same defaults as `npm start`, so `PORT=… WEB_PORT=… npm run native` finds what it started.
const issuerDefault = process.env.ISSUER || `http://localhost:${process.env.PORT || 3000}/`;
const webDefault = process.env.WEB_URL || `http://localhost:${process.env.WEB_PORT || 3001}`;
const keychainDefault = process.env.NATIVE_KEYCHAIN || DEFAULT_KEYCHAIN;

/** The example's two Native SSO apps (examples/idp/app.ts). */
const APPS = {
  first: { clientId: 'example-native', redirectUri: 'com.example.native:/callback' },
  second: { clientId: 'example-native-second', redirectUri: 'com.example.second:/callback' },
} as const;

const { values } = parseArgs({
  options: {
    form: { type: 'string', default: 'auth0' },
    user: { type: 'string', default: 'demo@example.com' },
    password: { type: 'string', default: 'demo' },
    issuer: { type: 'string', default: issuerDefault },
    web: { type: 'string', default: webDefault },
    open: { type: 'boolean', default: false },
    json: { type: 'boolean', default: true },
    dpop: { type: 'boolean', default: true },
    'auth0-paths': { type: 'boolean', default: true },
    app: { type: 'string', default: 'first' },
    keychain: { type: 'string', default: keychainDefault },
    'logout-device': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  allowNegative: true,
});

if (values.help) {
  console.log(`npm run native -- [--form auth0|rfc8693] [--user EMAIL --password PASSWORD] [--issuer URL] [--web URL] [--open]
                         [--no-json] [--no-dpop] [--no-auth0-paths]
                         [--app first|second] [--keychain PATH] [--logout-device]

Signs in to the identity provider as the example native app (authorization code + PKCE),
mints a Session Transfer Token (60 s, single use, bound to this machine's IP) and prints the two
ways to deliver it to the web app. --open opens the query-parameter link in your browser.

Native SSO (OpenID Connect Native SSO 1.0), two apps of one vendor on one device:
  --app first    (default) example-native: signs in with the browser, asking for device_sso, and
                 keeps the device secret and its ID token in the shared keychain file.
  --app second   example-native-second: signs in with no browser from the keychain (the token
                 exchange), as the same user in the same device session (same sid), then mints.
  --keychain PATH  the shared keychain file (default ${keychainDefault},
                 from NATIVE_KEYCHAIN or the OS temp dir); it holds a device secret: keep it private.
  --logout-device  revokes the device secret (as --app's app): a device-wide logout signing out
                 every app of the device session and the web sessions they started; clears the keychain.

By default it sends what the Auth0 SDKs send: JSON bodies, a DPoP proof (the refresh token is
bound to the app's key), Auth0's paths (/authorize, /oauth/token). --no-json posts forms,
--no-dpop sends no proof, --no-auth0-paths takes the paths from the provider's discovery.
Defaults: --issuer ${issuerDefault}, --web ${webDefault} (from ISSUER / PORT and WEB_URL / WEB_PORT,
as npm start uses them).`);
  process.exit(0);
}
if (values.form !== 'auth0' && values.form !== 'rfc8693') {
  console.error('--form must be auth0 or rfc8693');
  process.exit(2);
}
if (values.app !== 'first' && values.app !== 'second') {
  console.error('--app must be first or second');
  process.exit(2);
}
const which = values.app as keyof typeof APPS;
const keychain = new SharedKeychain(values.keychain);

/** One line for a provider that does not answer or refuses, instead of a stack trace. */
function explain(err: unknown): string {
  return unreachableProvider(err, values.issuer) ?? (err instanceof Error ? err.message : String(err));
}

/** A failure in one line, exit code 1. */
function fail(message: string): never {
  console.error(`npm run native: ${message}`);
  process.exit(1);
}

const app = new NativeApp({ issuer: values.issuer, ...APPS[which], auth0Paths: values['auth0-paths'], json: values.json, dpop: values.dpop });
const noCredentials = `no device secret for ${values.issuer} in the shared keychain ${keychain.path}: sign the first app in first (npm run native)`;

if (values['logout-device']) {
  try {
    const entry = await keychain.load(values.issuer) ?? fail(noCredentials);
    const { sid } = idTokenClaims(entry.id_token);
    await app.revoke(entry.device_secret, 'device_secret');
    await keychain.clear();
    console.log(`device-wide logout: ${app.clientId} revoked the device secret of device session ${sid}; every app signed in under it
and the web sessions they started with transfer tokens are signed out. The keychain ${keychain.path} is cleared.`);
    const again = await app.nativeSso(entry).then(() => undefined, (err: unknown) => (err as Error).message);
    if (again === undefined) fail('the revoked device secret still signs an app in');
    console.log(`the revoked device secret no longer signs an app in: ${again.replace(/^Native SSO refused: /, '').trim()}`);
  } catch (err) {
    fail(explain(err));
  }
  process.exit(0);
}

let token: string;
let expiresIn: number;
try {
  let tokens: NativeTokens;
  if (which === 'second') {
    const entry = await keychain.load(values.issuer) ?? fail(noCredentials);
    tokens = await app.nativeSso(entry);
    const first = idTokenClaims(entry.id_token);
    const mine = idTokenClaims(tokens.id_token ?? '');
    console.log(`signed in by Native SSO as ${entry.user}, with no browser: ${app.clientId} exchanged the first app's ID token and device secret
from the shared keychain ${keychain.path} (the app now holds a refresh token of its own)`);
    if (mine.sub !== first.sub || mine.sid !== first.sid) fail(`the exchange answered another user or device session (sub ${mine.sub}, sid ${mine.sid})`);
    console.log(`same user as the first app: sub ${mine.sub}; same device session: sid ${mine.sid}`);
  } else {
    tokens = await app.signIn(values.user, values.password, NATIVE_SSO_SCOPE);
    console.log(`signed in as ${values.user} (the app now holds a ${tokens.token_type === 'DPoP' ? 'DPoP-bound ' : ''}refresh token)`);
    if (tokens.device_secret && tokens.id_token) {
      await keychain.save({ issuer: values.issuer, user: values.user, id_token: tokens.id_token, device_secret: tokens.device_secret });
      console.log(`Native SSO: device session ${idTokenClaims(tokens.id_token).sid}; its device secret and the ID token are in the shared keychain ${keychain.path}
(npm run native -- --app second signs the second app in with them)`);
    } else {
      console.log('Native SSO: no device secret (the provider has Native SSO off), so --app second cannot sign in from this app');
    }
  }
  ({ token, expiresIn } = await app.mint(tokens.refresh_token, values.form as MintForm));
} catch (err) {
  fail(explain(err));
}

const login = new URL('/login', values.web);
const link = new URL(login);
link.searchParams.set('session_transfer_token', token);
console.log(`minted a Session Transfer Token (${values.form} form), valid ${expiresIn} s, single use.
Deliver it ONE of two ways; the first use spends it:

a) Query delivery (Custom Tab, system browser): open
   ${link.href}

b) Cookie delivery (WebView): set this cookie for ${values.issuer}, then open ${login.href}
   auth0_session_transfer_token=${token}; Path=/; HttpOnly; SameSite=Lax
`);

if (values.open) {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [link.href], { stdio: 'ignore', detached: true });
  const [code] = await Promise.race([once(child, 'exit'), once(child, 'error').then(() => [127])]) as [number | null];
  // explorer answers 1 even when it opened the page.
  if (code !== 0 && !(opener === 'explorer' && code === 1)) {
    console.error(`--open: could not open a browser with ${opener}; open link (a) above yourself`);
    process.exitCode = 1;
  }
}

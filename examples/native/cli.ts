/**
 * A native-app simulator: signs in like the app would, mints a Session Transfer Token, and prints
 * the two ways to hand it to the web app. `npm run native -- --help` lists the flags.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

import { unreachableProvider } from '../unreachable.js';
import { NativeApp, type MintForm } from './app.js';

// The same defaults as `npm start`, so `PORT=… WEB_PORT=… npm run native` finds what it started.
const issuerDefault = process.env.ISSUER || `http://localhost:${process.env.PORT || 3000}/`;
const webDefault = process.env.WEB_URL || `http://localhost:${process.env.WEB_PORT || 3001}`;

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
    help: { type: 'boolean', default: false },
  },
  allowNegative: true,
});

if (values.help) {
  console.log(`npm run native -- [--form auth0|rfc8693] [--user EMAIL --password PASSWORD] [--issuer URL] [--web URL] [--open]
                         [--no-json] [--no-dpop] [--no-auth0-paths]

Signs in to the identity provider as the example native app (authorization code + PKCE),
mints a Session Transfer Token (60 s, single use, bound to this machine's IP) and prints the two
ways to deliver it to the web app. --open opens the query-parameter link in your browser.
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

/** One line for a provider that does not answer or refuses, instead of a stack trace. */
function explain(err: unknown): string {
  return unreachableProvider(err, values.issuer) ?? (err instanceof Error ? err.message : String(err));
}

let token: string;
let expiresIn: number;
try {
  const app = new NativeApp({ issuer: values.issuer, auth0Paths: values['auth0-paths'], json: values.json, dpop: values.dpop });
  const tokens = await app.signIn(values.user, values.password);
  console.log(`signed in as ${values.user} (the app now holds a ${tokens.token_type === 'DPoP' ? 'DPoP-bound ' : ''}refresh token)`);
  ({ token, expiresIn } = await app.mint(tokens.refresh_token, values.form as MintForm));
} catch (err) {
  console.error(`npm run native: ${explain(err)}`);
  process.exit(1);
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

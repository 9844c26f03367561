/**
 * A native-app simulator: signs in like the app would, mints a Session Transfer Token, and prints
 * both ways to hand it to the web app. `npm run native -- --help` lists the flags.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

import { mint, type MintForm } from './mint.js';
import { signIn } from './sign-in.js';

const { values } = parseArgs({
  options: {
    form: { type: 'string', default: 'auth0' },
    user: { type: 'string', default: 'demo@example.com' },
    password: { type: 'string', default: 'demo' },
    issuer: { type: 'string', default: process.env.ISSUER ?? 'http://localhost:3000' },
    web: { type: 'string', default: process.env.WEB_URL ?? 'http://localhost:3001' },
    open: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`npm run native -- [--form auth0|rfc8693] [--user EMAIL --password PASSWORD] [--issuer URL] [--web URL] [--open]

Signs in to the identity provider as the example native app (authorization code + PKCE),
mints a Session Transfer Token (60 s, single use, bound to this machine's IP) and prints how
to deliver it to the web app. --open opens the query-parameter link in your browser.`);
  process.exit(0);
}
if (values.form !== 'auth0' && values.form !== 'rfc8693') {
  console.error('--form must be auth0 or rfc8693');
  process.exit(2);
}

const tokens = await signIn({
  issuer: values.issuer, clientId: 'example-native', redirectUri: 'com.example.native:/callback', login: values.user, password: values.password,
});
console.log(`signed in as ${values.user} (the app now holds a refresh token)`);

const minted = await mint(values.issuer, 'example-native', tokens.refresh_token, values.form as MintForm);
const link = new URL('/login', values.web);
link.searchParams.set('session_transfer_token', minted.token);
console.log(`minted a Session Transfer Token (${values.form} form), valid ${minted.expiresIn} s, single use

1. Query delivery (Custom Tab, system browser) — open:
   ${link.href}

2. Cookie delivery (WebView) — set this cookie for ${values.issuer}, then open ${new URL('/login', values.web).href}:
   auth0_session_transfer_token=${minted.token}; Path=/; HttpOnly; SameSite=Lax
`);

if (values.open) {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(opener, [link.href], { stdio: 'ignore', detached: true }).on('error', () => console.error(`could not run ${opener}; open the link yourself`)).unref();
}

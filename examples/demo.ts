/**
 * `npm run demo`: the whole Native-to-Web flow, headless, one step at a time. Starts its own
 * identity provider and web app on free ports, so it runs beside `npm start`.
 */
import { MemoryStore } from '../lib/index.js';
import { Browser } from './browser.js';
import { NativeApp } from './native/app.js';
import { AUTH0_SDK_READY, startExampleServers } from './servers.js';

// As `npm start` runs it: answering the Auth0 SDKs, whose requests the native app sends.
const example = await startExampleServers({
  port: 0, webPort: 0, issuer: AUTH0_SDK_READY.issuer, transfer: { store: new MemoryStore(), auth0Compatible: AUTH0_SDK_READY.auth0Compatible },
});
const { issuer, webUrl } = example;
const log = (text: string) => console.log(text);
const step = (n: number, text: string) => log(`\n${n}. ${text}`);
const masked = (token: string) => `${token.slice(0, 6)}…(${token.length} chars)`;

log(`identity provider ${issuer}, web app ${webUrl}`);

try {
  step(1, 'The native app signs demo@example.com in (authorization code + PKCE, JSON to /oauth/token with a DPoP proof, as the Auth0 SDKs do) and receives a refresh token bound to its key.');
  const app = new NativeApp({ issuer });
  const tokens = await app.signIn('demo@example.com', 'demo');
  log(`   refresh token ${masked(tokens.refresh_token)} (token type ${tokens.token_type})`);

  step(2, 'It exchanges the refresh token for a Session Transfer Token at the token endpoint (Auth0 form, with a proof for its key).');
  const minted = await app.mint(tokens.refresh_token);
  log(`   session transfer token ${masked(minted.token)}, valid ${minted.expiresIn} s, single use, bound to this IP`);
  log(`   the refresh token was rotated: ${minted.refreshToken ? 'yes, the app keeps the new one' : 'no'}`);

  step(3, 'It opens the web app\'s login route with the token, as a browser would.');
  const browser = new Browser();
  const login = new URL('/login', webUrl);
  login.searchParams.set('session_transfer_token', minted.token);
  const profile = await browser.open(login.href);

  step(4, 'The web app forwards it to the authorization endpoint, which signs the browser in with no login form, and the web app exchanges the code.');
  const user = /<h1 id="user">([^<]+)<\/h1>/.exec(profile.text)?.[1];
  const transferred = profile.text.includes('session transfer');
  log(`   ended on ${profile.url} (${profile.status})`);

  step(5, 'The web app shows the signed-in profile.');
  log(`   user: ${user ?? 'not signed in'}; session came from a transfer: ${transferred ? 'yes' : 'no'}`);
  if (!user || !transferred) process.exitCode = 1;

  step(6, 'The same token again is refused: single use.');
  const replay = await new Browser().open(login.href);
  log(`   ended on ${new URL(replay.url).pathname} with ${replay.text.includes('name="password"') ? 'the login form' : `status ${replay.status}`}`);
} finally {
  await example.close();
}

/**
 * `npm run demo`: the whole Native-to-Web flow, headless, one step at a time; then Native SSO (a
 * second app signs in from the first's device secret), a web sign-in from the second app, and the
 * device-wide logout. Starts its own identity provider and web app on free ports, so it runs
 * beside `npm start`.
 */
import { MemoryStore } from '../lib/index.js';
import { Browser } from './browser.js';
import { idTokenClaims, NATIVE_SSO_SCOPE, NativeApp } from './native/app.js';
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
  const tokens = await app.signIn('demo@example.com', 'demo', NATIVE_SSO_SCOPE);
  log(`   refresh token ${masked(tokens.refresh_token)} (token type ${tokens.token_type})`);
  const first = idTokenClaims(tokens.id_token ?? '');
  log(`   it asked for device_sso too (it is a Native SSO app): device secret ${tokens.device_secret ? masked(tokens.device_secret) : 'none'}, `
    + `its ID token has sid ${first.sid} and ds_hash ${first.ds_hash ? 'yes' : 'no'}; both go into the shared keychain`);
  if (!tokens.device_secret || !tokens.id_token) process.exitCode = 1;

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

  step(7, 'Native SSO: a second app of the same vendor (example-native-second) reads the ID token and device secret from the shared keychain and exchanges them at the token endpoint: signed in with no browser.');
  const second = new NativeApp({ issuer, clientId: 'example-native-second', redirectUri: 'com.example.second:/callback' });
  const secondTokens = await second.nativeSso({ id_token: tokens.id_token!, device_secret: tokens.device_secret! });
  const secondClaims = idTokenClaims(secondTokens.id_token ?? '');
  const sameUser = secondClaims.sub === first.sub;
  const sameSid = secondClaims.sid !== undefined && secondClaims.sid === first.sid;
  log(`   its own refresh token ${masked(secondTokens.refresh_token)}; same user: ${sameUser ? 'yes' : 'no'} (sub ${secondClaims.sub}); `
    + `same device session: ${sameSid ? 'yes' : 'no'} (sid ${secondClaims.sid})`);
  if (!sameUser || !sameSid) process.exitCode = 1;

  step(8, 'The second app mints a Session Transfer Token from its refresh token and opens the web app with it, in a browser of its own.');
  const secondMinted = await second.mint(secondTokens.refresh_token);
  const webBrowser = new Browser();
  const secondLogin = new URL('/login', webUrl);
  secondLogin.searchParams.set('session_transfer_token', secondMinted.token);
  const secondProfile = await webBrowser.open(secondLogin.href);
  const secondUser = /<h1 id="user">([^<]+)<\/h1>/.exec(secondProfile.text)?.[1];
  log(`   web app user: ${secondUser ?? 'not signed in'}; session came from a transfer: ${secondProfile.text.includes('session transfer') ? 'yes' : 'no'}`);
  if (!secondUser) process.exitCode = 1;
  const webAgain = await webBrowser.open(new URL('/login', webUrl).href);
  const live = new URL(webAgain.url).pathname === '/profile';
  log(`   the browser's session at the provider is live: ${live ? 'yes, the web app\'s login again ends on /profile with no login form' : `no, it ended on ${new URL(webAgain.url).pathname}`}`);
  if (!live) process.exitCode = 1;

  step(9, 'Device-wide logout: the first app revokes the device secret at the revocation endpoint (token_type_hint=device_secret).');
  await app.revoke(tokens.device_secret!, 'device_secret');
  log('   answered 200: the device session ended, and with it every app signed in under it and the web sessions they started');

  step(10, 'After the logout: both apps\' refresh tokens, the device secret and the web session are gone.');
  const firstRefresh = await app.refresh(minted.refreshToken ?? tokens.refresh_token);
  const secondRefresh = await second.refresh(secondMinted.refreshToken ?? secondTokens.refresh_token);
  log(`   first app's refresh: ${firstRefresh.status === 200 ? 'still works' : `refused (${firstRefresh.body.error})`}`);
  log(`   second app's refresh: ${secondRefresh.status === 200 ? 'still works' : `refused (${secondRefresh.body.error})`}`);
  const ssoAgain = await second.nativeSso({ id_token: tokens.id_token!, device_secret: tokens.device_secret! }).then(() => undefined, (err: unknown) => err as Error);
  log(`   Native SSO with the revoked device secret: ${ssoAgain ? `refused (${/refused: (\S+)/.exec(ssoAgain.message)?.[1]})` : 'still works'}`);
  const webAfter = await webBrowser.open(new URL('/login', webUrl).href);
  const webGone = webAfter.text.includes('name="password"');
  log(`   the web app's login in the same browser: ${webGone ? 'the login form (the session at the provider is gone)' : `ended on ${new URL(webAfter.url).pathname}, still signed in`}`);
  if (firstRefresh.status === 200 || secondRefresh.status === 200 || !ssoAgain || !webGone) process.exitCode = 1;
} finally {
  await example.close();
}

import { createHash, randomBytes } from 'node:crypto';

import { Browser, type Page } from '../browser.js';

export interface NativeSignIn {
  issuer: string;
  clientId: string;
  redirectUri: string;
  login: string;
  password: string;
  scope?: string;
}

export interface NativeTokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
}

/**
 * Opens an authorization URL in `browser` and answers whatever pages the provider shows (login
 * form, consent form) until it redirects to `redirectUri`; returns the code.
 */
export async function authorizeInteractively(
  browser: Browser,
  authorization: string,
  { login, password, redirectUri }: Pick<NativeSignIn, 'login' | 'password' | 'redirectUri'>,
): Promise<string> {
  let page: Page = await browser.open(authorization, undefined, redirectUri);
  for (let step = 0; step < 5; step += 1) {
    if (page.url.startsWith(redirectUri)) {
      const url = new URL(page.url);
      const code = url.searchParams.get('code');
      if (!code) throw new Error(`sign-in failed: ${url.searchParams.get('error')} ${url.searchParams.get('error_description') ?? ''}`);
      return code;
    }
    const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1];
    if (!action) throw new Error(`unexpected page at ${page.url} (${page.status})`);
    const form: Record<string, string> = action.endsWith('/login') ? { login, password } : {};
    page = await browser.open(new URL(action, page.url).href, form, redirectUri);
  }
  throw new Error('sign-in did not finish');
}

/**
 * What a native app does to sign in: authorization code + PKCE in a browser (here a scripted one
 * answering the login and consent forms), then the code exchange. Returns the app's tokens.
 */
export async function signIn(options: NativeSignIn): Promise<NativeTokens> {
  const { issuer, clientId, redirectUri, scope = 'openid offline_access email' } = options;
  const verifier = randomBytes(32).toString('base64url');
  const browser = new Browser();
  const authorization = new URL('/auth', issuer);
  authorization.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const code = await authorizeInteractively(browser, authorization.href, options);

  const response = await fetch(new URL('/token', issuer), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId }),
  });
  const tokens = await response.json() as NativeTokens & { error?: string };
  if (!response.ok) throw new Error(`code exchange failed: ${tokens.error}`);
  return tokens;
}

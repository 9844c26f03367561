import { type Browser, type Page } from '../browser.js';

export interface Credentials {
  login: string;
  password: string;
  redirectUri: string;
}

/**
 * Opens an authorization URL in `browser` and answers whatever pages the provider shows (login
 * form, consent form) until it redirects to `redirectUri`; returns that redirect, with its code.
 */
export async function authorizeInteractively(
  browser: Browser,
  authorization: string,
  { login, password, redirectUri }: Credentials,
): Promise<URL> {
  let page: Page = await browser.open(authorization, undefined, redirectUri);
  for (let step = 0; step < 5; step += 1) {
    if (page.url.startsWith(redirectUri)) {
      const url = new URL(page.url);
      const code = url.searchParams.get('code');
      if (!code) throw new Error(`sign-in failed: ${url.searchParams.get('error')} ${url.searchParams.get('error_description') ?? ''}`);
      return url;
    }
    const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1];
    if (!action) throw new Error(`unexpected page at ${page.url} (${page.status})`);
    const form: Record<string, string> = action.endsWith('/login') ? { login, password } : {};
    page = await browser.open(new URL(action, page.url).href, form, redirectUri);
    // The login form answers wrong credentials with 401: sending them again cannot help.
    if (page.status === 401) throw new Error(`sign-in failed: wrong email or password for ${login}`);
  }
  throw new Error('sign-in did not finish');
}

/** Minimal HTML for the example's login and consent pages; no external assets. */
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;width:min(22rem,90vw)}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem}
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #ccd;border-radius:6px}
button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#3b5bdb;color:#fff;font-size:1rem}
.error{color:#c92a2a}
</style></head><body><main>${body}</main></body></html>`;
}

export function logoutPage(form: string): string {
  return page('Sign out', `<h1>Sign out</h1><p>Sign out of the identity provider on this device?</p>
${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>Signed out</h1><p>You are signed out of the identity provider.</p>');
}

interface KoaLike { body: unknown; type: string }
/** oidc-provider's `features.rpInitiatedLogout` pages, in the example's style. */
export const logoutSource = async (ctx: KoaLike, form: string) => { ctx.type = 'html'; ctx.body = logoutPage(form); };
export const postLogoutSuccessSource = async (ctx: KoaLike) => { ctx.type = 'html'; ctx.body = signedOutPage(); };

export interface SessionView {
  accountId: string;
  loginTime?: number;
  amr: string[];
  transferred: boolean;
  clients: string[];
}

export function accountPage(session: SessionView | undefined): string {
  if (!session) return page('Your sessions', '<h1>Your sessions</h1><p>You are not signed in on this browser.</p>');
  const when = session.loginTime ? new Date(session.loginTime * 1000).toISOString() : 'unknown';
  return page('Your sessions', `<h1>Your sessions</h1>
<p>This browser is signed in as <b id="account">${escape(session.accountId)}</b>.</p>
<p id="origin">${session.transferred ? 'Signed in from the native app (session transfer).' : 'Signed in with a password on this browser.'}</p>
<p>Authenticated at ${escape(when)} with <code>${escape(session.amr.join(', ') || 'unknown')}</code>.</p>
<p>Applications using this session: ${session.clients.map((c) => `<code>${escape(c)}</code>`).join(', ') || 'none yet'}.</p>`);
}

export function loginPage(uid: string, clientId: string, error?: string): string {
  return page('Sign in', `<h1>Sign in</h1><p>to continue to <b>${escape(clientId)}</b></p>
${error ? `<p class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Email</label><input id="login" name="login" type="email" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`);
}

/** The login CSRF defence (`confirm_query_transfers`): the user sees who they would become. */
export function confirmTransferPage(uid: string, clientId: string, account: string): string {
  return page('Continue', `<h1>Continue as ${escape(account)}?</h1>
<p>Your app asks to sign you in to <b>${escape(clientId)}</b> as <b id="transfer-account">${escape(account)}</b>.</p>
<form method="post" action="/interaction/${escape(uid)}/transfer"><button type="submit">Continue as ${escape(account)}</button></form>
<p style="text-align:center"><a href="/interaction/${escape(uid)}?signin">Not you? Sign in</a></p>`);
}

export function consentPage(uid: string, clientId: string, scopes: string[]): string {
  return page('Authorize', `<h1>Authorize ${escape(clientId)}</h1>
<p>This application asks for: ${scopes.map((s) => `<code>${escape(s)}</code>`).join(', ') || 'your sign-in'}</p>
<form method="post" action="/interaction/${escape(uid)}/confirm"><button type="submit">Allow</button></form>
<p style="text-align:center"><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>`);
}

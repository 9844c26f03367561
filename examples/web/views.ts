/** The example web app's pages: small, clean HTML, no external assets. */
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)} · Example Web App</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
header{background:#1c7ed6;color:#fff;padding:.9rem 1.5rem;font-weight:600}
main{max-width:46rem;margin:2rem auto;padding:0 1.5rem}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 8px #0001;padding:1.5rem;margin-bottom:1rem}
a.button{display:inline-block;background:#1c7ed6;color:#fff;padding:.55rem 1rem;border-radius:6px;text-decoration:none}
.badge{display:inline-block;padding:.15rem .55rem;border-radius:999px;font-size:.85rem;background:#e7f5ff;color:#1864ab}
.badge.transfer{background:#ebfbee;color:#2b8a3e}
.badge.delegation{background:#fff4e6;color:#d9480f}
pre{background:#f1f3f5;padding:1rem;border-radius:8px;overflow:auto}
</style></head><body><header>Example Web App</header><main>${body}</main></body></html>`;
}

export function homePage(user?: { name?: string; email?: string }): string {
  return page('Home', user
    ? `<div class="card"><p>Signed in as <b>${escape(user.name ?? user.email ?? '')}</b>.</p>
<a class="button" href="/profile">Your profile</a> <a href="/logout">Sign out</a></div>`
    : `<div class="card"><p>You are not signed in.</p><a class="button" href="/login">Sign in</a></div>`);
}

/**
 * How this session began, as the ID token says: `act` names who is really there in a delegated
 * session (a support agent), `amr` marks a transfer.
 */
function signInBadge(claims: Record<string, unknown>): string {
  const actor = (claims.act as { sub?: unknown } | undefined)?.sub;
  if (actor !== undefined) {
    return `<span class="badge delegation" id="transfer">Opened by support agent ${escape(String(actor))} as this user (session delegation)</span>`;
  }
  return Array.isArray(claims.amr) && claims.amr.includes('session_transfer')
    ? '<span class="badge transfer" id="transfer">Signed in from the native app (session transfer)</span>'
    : '<span class="badge" id="transfer">Signed in on the web</span>';
}

export function profilePage(claims: Record<string, unknown>, profile: Record<string, unknown>): string {
  return page('Profile', `<div class="card"><h1 id="user">${escape(String(profile.email ?? claims.sub))}</h1>${signInBadge(claims)}
<p>${escape(String(profile.name ?? ''))}</p>
<p>Subject <code>${escape(String(claims.sub))}</code> · authentication methods <code>${escape(JSON.stringify(claims.amr ?? []))}</code></p>
<a href="/logout">Sign out</a></div>
<div class="card"><h2>ID token claims</h2><pre id="claims">${escape(JSON.stringify(claims, null, 2))}</pre></div>`);
}

export function errorPage(error: string, description?: string): string {
  return page('Sign-in failed', `<div class="card"><h1>Sign-in failed</h1><p><code>${escape(error)}</code> ${escape(description ?? '')}</p>
<a class="button" href="/login">Try again</a></div>`);
}

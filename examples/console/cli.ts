/**
 * A support-console simulator (Session Delegation): signs an agent in to the console, mints a
 * delegated Session Transfer Token for a user, and prints the link that opens the web app as that
 * user. `npm run delegate -- --help` lists the flags.
 */
import { parseArgs } from 'node:util';

import { unreachableProvider } from '../unreachable.js';
import { delegationLink, OAuthRefusal, SupportConsole } from './console.js';

// The same defaults as `npm start`, so `PORT=… WEB_PORT=… npm run delegate` finds what it started.
const issuerDefault = process.env.ISSUER || `http://localhost:${process.env.PORT || 3000}/`;
const webDefault = process.env.WEB_URL || `http://localhost:${process.env.WEB_PORT || 3001}`;

const { values } = parseArgs({
  options: {
    user: { type: 'string', default: 'demo@example.com' },
    agent: { type: 'string', default: 'other@example.com' },
    password: { type: 'string', default: 'other' },
    issuer: { type: 'string', default: issuerDefault },
    web: { type: 'string', default: webDefault },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`npm run delegate -- [--user EMAIL] [--agent EMAIL --password PASSWORD] [--issuer URL] [--web URL]

Signs the agent in to the example's support console (the confidential client support-console),
then mints a delegated Session Transfer Token for --user: an RFC 8693 token exchange of the ticket
"ticket:<user's email>" with the agent's ID token as actor. Prints the web app's login link with
the token: opened in a browser without a session at the identity provider (a private window), it
signs in as the user, marked with the agent (act) for a fixed two-hour session.
The example refuses a ticket for an unknown user or for the agent themself (invalid_grant).
Defaults: --user demo@example.com, --agent other@example.com --password other,
--issuer ${issuerDefault}, --web ${webDefault} (from ISSUER / PORT and WEB_URL / WEB_PORT, as npm start uses them).`);
  process.exit(0);
}

/** One line for a provider that does not answer or refuses, instead of a stack trace. */
function explain(err: unknown): string {
  if (err instanceof OAuthRefusal && err.error === 'invalid_grant' && err.request === 'the token exchange') {
    return `${err.message}: the example refuses a ticket for a user it does not know (demo@example.com, other@example.com) or for the agent themself`;
  }
  return unreachableProvider(err, values.issuer) ?? (err instanceof Error ? err.message : String(err));
}

try {
  const support = new SupportConsole({ issuer: values.issuer });
  const agent = await support.signIn(values.agent, values.password);
  console.log(`${values.agent} signed in to the support console (their ID token is the actor: act.sub "${agent.sub}")`);
  const { token, expiresIn } = await support.delegate(agent, values.user);
  console.log(`minted a delegated Session Transfer Token for ${values.user}, valid ${expiresIn} s, single use, bound to this machine's IP.
Open it in a browser with no session at ${values.issuer} (a private window), within ${expiresIn} s:

   ${delegationLink(values.web, token).href}

The web app signs you in as ${values.user}; its ID token says who is really there (act: { sub: "${agent.sub}" }).`);
} catch (err) {
  console.error(`npm run delegate: ${explain(err)}`);
  process.exit(1);
}

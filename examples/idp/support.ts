// The support console's profile (Session Delegation), apart from app.ts so that `npm run delegate`
// reads it without loading oidc-provider (which warns on Node lines it does not list).
import type { ClientMetadata } from 'oidc-provider';

// Outside this repository: import type { DelegationOptions } from 'oidc-session-transfer';
import type { DelegationOptions } from '../../lib/index.js';
import { accountIdByEmail } from './accounts.js';

/**
 * The support console's callback. `npm run delegate` signs its agent in headlessly and takes the
 * code from the redirect without loading it, as the native simulator does with its custom scheme;
 * a real console serves this URL.
 */
export const SUPPORT_CONSOLE_CALLBACK = 'https://support-console.example/callback';

/**
 * The example's support console (Session Delegation): confidential, its agents sign in to it (the
 * agent's ID token is the actor) and it mints tokens for other users, with Auth0's two settings.
 */
export const supportConsoleClient: ClientMetadata = {
  client_id: 'support-console',
  client_secret: 'support-console-secret',
  redirect_uris: [SUPPORT_CONSOLE_CALLBACK],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  session_transfer: { can_create_session_transfer_token: true },
};

/** The subject token type the support console sends: a ticket, about the user to help. */
export const SUPPORT_TICKET_TYPE = 'urn:example:support-ticket';
/** How the example's tickets read: `ticket:<email of the user>`. */
export const TICKET_PREFIX = 'ticket:';

/** The example's support agents: the accounts that may open the web app as another user. */
const SUPPORT_AGENTS = new Set(['other']);

/**
 * The example's Custom Token Exchange profile: a subject token `ticket:<email>` names that user,
 * where a real one would look the ticket up in its ticket system. Refused (invalid_grant) for an
 * unknown user, for the agent themself (delegation is for seeing another user's view; an agent
 * signs in as themself the ordinary way), and for a console user who is not a support agent.
 */
export const exampleDelegation: DelegationOptions = {
  subjectTokenTypes: [SUPPORT_TICKET_TYPE],
  resolveSubject({ subjectToken, actor }) {
    // Only support agents delegate (a real provider asks its directory); the console's other users are refused.
    if (!SUPPORT_AGENTS.has(actor.sub)) return undefined;
    const accountId = subjectToken.startsWith(TICKET_PREFIX) ? accountIdByEmail(subjectToken.slice(TICKET_PREFIX.length)) : undefined;
    return accountId === undefined || accountId === actor.sub ? undefined : { accountId };
  },
};

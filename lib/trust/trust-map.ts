import type { Client } from 'oidc-provider';

import { clientSettings } from '../client-metadata.js';

/**
 * The trust map: client metadata `session_transfer.transfer_to` (on the client a session comes
 * from) and `accept_from` (on the client it goes to). Both must allow a handover; an absent list
 * allows any client. Undefined when `from` may hand a session to `to`; otherwise why not, as a
 * phrase that follows `to`'s client id and names the setting to change.
 */
export function untrusted(from: Client, to: Client): string | undefined {
  const { transfer_to: handsTo } = clientSettings(from);
  if (handsTo && !handsTo.includes(to.clientId)) return `is not in ${from.clientId}'s session_transfer.transfer_to`;
  const { accept_from: acceptsFrom } = clientSettings(to);
  if (acceptsFrom && !acceptsFrom.includes(from.clientId)) return `does not accept sessions from ${from.clientId} (its session_transfer.accept_from)`;
  return undefined;
}

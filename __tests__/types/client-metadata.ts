/**
 * Type-level checks of the public types, run by `npm run typecheck` (not a Jest suite): a
 * `@ts-expect-error` that stops erroring fails the type check.
 */
import type { ClientMetadata } from 'oidc-provider';

import type { ClientSessionTransferInput } from '../../lib/index.js';

// A partial `session_transfer` checks with `satisfies`; the rest is defaulted.
export const web = {
  client_id: 'web',
  session_transfer: { allowed_authentication_methods: ['cookie'] } satisfies ClientSessionTransferInput,
} satisfies ClientMetadata;

export const none: ClientSessionTransferInput = { allowed_authentication_methods: null };

// @ts-expect-error not a transport
export const wrongTransport: ClientSessionTransferInput = { allowed_authentication_methods: ['header'] };

// @ts-expect-error not a binding rule
export const wrongBinding: ClientSessionTransferInput = { enforce_device_binding: 'mac' };

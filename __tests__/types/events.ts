/**
 * Type-level checks of the public API's events and options, run by `npm run typecheck`.
 */
import { MemoryStore, sessionTransfer, type IssuedEvent, type RedeemedEvent, type SessionTransferEvents } from '../../lib/index.js';

const transfer = sessionTransfer({ store: new MemoryStore() });

// One name: the handler's parameter is that event.
transfer.on('issued', (event) => {
  const issued: IssuedEvent = event;
  void issued;
});

// A union of names: the parameter is the union of their events, narrowed by `type`.
for (const name of ['issued', 'redeemed'] as const) {
  transfer.on(name, (event) => {
    const either: IssuedEvent | RedeemedEvent = event;
    if (event.type === 'redeemed') void event.sessionUid;
    void either;
  });
}

// Every event name.
const names = Object.keys({} as SessionTransferEvents) as (keyof SessionTransferEvents)[];
for (const name of names) transfer.once(name, (event) => void event.type);

// @ts-expect-error: not an event of the library
transfer.on('issude', () => undefined);

// @ts-expect-error: neither redis nor store: the library has nowhere to keep tokens
sessionTransfer({});

import type { TransferStore } from '../store/store.js';
import { storeCall, type Instrumentation } from './telemetry.js';

/** Every operation of the store interface; a type test keeps this list complete. */
export const STORE_OPERATIONS = [
  'save', 'consume', 'countIssued', 'transfersRevokedAt', 'saveSession', 'touchSession', 'deleteSessions',
  'addChild', 'endLineage', 'removeChildren',
] as const satisfies readonly (keyof TransferStore)[];

/** The store with each round trip in a span and the store-duration histogram, named by operation. */
export function instrumentedStore(store: TransferStore, system: string | undefined, telemetry: Instrumentation): TransferStore {
  const wrapped = {} as Record<string, unknown>;
  for (const name of STORE_OPERATIONS) {
    const method = store[name] as (...args: unknown[]) => Promise<unknown>;
    const call = storeCall(system, name);
    wrapped[name] = (...args: unknown[]) => telemetry.store(call, () => method.apply(store, args));
  }
  return wrapped as unknown as TransferStore;
}

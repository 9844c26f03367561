import { performance } from 'node:perf_hooks';

import type { TelemetryAttributes } from './api.js';
import { DEVICE_SESSION_OPERATIONS, type TransferStore } from '../store/store.js';

/** Every operation of the store interface; a type test keeps this list complete. */
export const STORE_OPERATIONS = [
  'save', 'consume', 'countIssued', 'transfersRevokedAt', 'saveSession', 'touchSession', 'findSession', 'deleteSessions',
  'addChild', 'endLineage', 'removeChildren', 'linkActor', 'grantOfActor', 'saveGrantMetadata', 'grantMetadata',
  ...DEVICE_SESSION_OPERATIONS,
] as const satisfies readonly (keyof TransferStore)[];

/** One store operation's names, built once (`storeCalls()`), not per call. */
export interface StoreCall {
  /** Its span's name, outside a mint or a redeem. */
  spanName: string;
  /** Its span's and its duration's attributes. */
  attributes: TelemetryAttributes;
  /** The attribute of a mint's or a redeem's span that holds its duration (s), and the one that names its error. */
  durationKey: string;
  errorKey: string;
}

/** Each store operation named as OpenTelemetry's database conventions do; `system` is `redis` for `RedisStore`. */
export type StoreCalls = Readonly<Record<(typeof STORE_OPERATIONS)[number], StoreCall>>;

export function storeCalls(system: string | undefined): StoreCalls {
  return Object.fromEntries(STORE_OPERATIONS.map((operation): [string, StoreCall] => [operation, {
    spanName: `${operation} ${system ?? 'store'}`,
    attributes: system ? { 'db.system.name': system, 'db.operation.name': operation } : { 'db.operation.name': operation },
    durationKey: `session_transfer.store.${operation}.duration`,
    errorKey: `session_transfer.store.${operation}.error.type`,
  }])) as StoreCalls;
}

/** Told of each store call once it settled, with its start (`performance.now()`). */
export interface StoreCallObserver {
  succeeded(call: StoreCall, start: number): void;
  failed(call: StoreCall, start: number, err: unknown): void;
}

/**
 * A store whose calls are timed and told to `observer`. Its methods live on the prototype: one
 * is made per mint and redeem, and closures per instance would cost each of them.
 */
class MeasuredStore {
  readonly store: TransferStore;
  readonly calls: StoreCalls;
  readonly observer: StoreCallObserver;

  constructor(store: TransferStore, calls: StoreCalls, observer: StoreCallObserver) {
    this.store = store;
    this.calls = calls;
    this.observer = observer;
  }
}

for (const name of STORE_OPERATIONS) {
  Object.defineProperty(MeasuredStore.prototype, name, {
    async value(this: MeasuredStore, ...args: unknown[]) {
      const start = performance.now();
      try {
        const result: unknown = await (this.store[name] as (...params: unknown[]) => Promise<unknown>).apply(this.store, args);
        this.observer.succeeded(this.calls[name], start);
        return result;
      } catch (err) {
        this.observer.failed(this.calls[name], start, err);
        throw err;
      }
    },
  });
}

/** The store with each call timed and told to `observer`, named by `calls`. */
export function instrumentedStore(store: TransferStore, calls: StoreCalls, observer: StoreCallObserver): TransferStore {
  return new MeasuredStore(store, calls, observer) as unknown as TransferStore;
}

import type { TelemetryAttributes } from './api.js';
import type { TransferStore } from '../store/store.js';

/** Every operation of the store interface; a type test keeps this list complete. */
export const STORE_OPERATIONS = [
  'save', 'consume', 'countIssued', 'transfersRevokedAt', 'saveSession', 'touchSession', 'deleteSessions',
  'addChild', 'endLineage', 'removeChildren',
] as const satisfies readonly (keyof TransferStore)[];

/** One store operation's span name and attributes, built once (`storeCalls()`), not per call. */
export interface StoreCall {
  spanName: string;
  attributes: TelemetryAttributes;
}

/** Each store operation named as OpenTelemetry's database conventions do; `system` is `redis` for `RedisStore`. */
export type StoreCalls = Readonly<Record<(typeof STORE_OPERATIONS)[number], StoreCall>>;

export function storeCalls(system: string | undefined): StoreCalls {
  return Object.fromEntries(STORE_OPERATIONS.map((operation): [string, StoreCall] => [operation, {
    spanName: `${operation} ${system ?? 'store'}`,
    attributes: system ? { 'db.system.name': system, 'db.operation.name': operation } : { 'db.operation.name': operation },
  }])) as StoreCalls;
}

/** Measures one store call: its span (a child of `parent`, else of the active span) and duration. */
export type MeasureStoreCall = (call: StoreCall, run: () => Promise<unknown>, parent?: unknown) => Promise<unknown>;

/**
 * A store whose calls are measured, their spans children of `parent`. Its methods live on the
 * prototype: one is made per mint and redeem (bound to its span), and closures per instance
 * would cost each of them.
 */
class MeasuredStore {
  readonly store: TransferStore;
  readonly calls: StoreCalls;
  readonly measure: MeasureStoreCall;
  readonly parent: unknown;

  constructor(store: TransferStore, calls: StoreCalls, measure: MeasureStoreCall, parent: unknown) {
    this.store = store;
    this.calls = calls;
    this.measure = measure;
    this.parent = parent;
  }
}

for (const name of STORE_OPERATIONS) {
  Object.defineProperty(MeasuredStore.prototype, name, {
    value(this: MeasuredStore, ...args: unknown[]) {
      const method = this.store[name] as (...params: unknown[]) => Promise<unknown>;
      return this.measure(this.calls[name], () => method.apply(this.store, args), this.parent);
    },
  });
}

/** The store with each call measured by `measure`, named by `calls`, its spans children of `parent`. */
export function instrumentedStore(store: TransferStore, calls: StoreCalls, measure: MeasureStoreCall, parent?: unknown): TransferStore {
  return new MeasuredStore(store, calls, measure, parent) as unknown as TransferStore;
}

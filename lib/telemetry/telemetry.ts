import { performance } from 'node:perf_hooks';

import type { SessionTransferEmitter } from '../events.js';
import type { TransferStore } from '../store/store.js';
import type { TelemetryAttributes, TelemetryMeterProvider, TelemetrySpan, TelemetryTracer, TelemetryTracerProvider } from './api.js';
import { INSTRUMENTS } from './instruments.js';
import { instrumentedStore, storeCalls, type StoreCall, type StoreCallObserver, type StoreCalls } from './instrumented-store.js';

/**
 * How the library reports to OpenTelemetry; see the `telemetry` option.
 * @category Telemetry
 */
export interface TelemetryOptions {
  /** Default: the global one of `@opentelemetry/api`, read when the library is created. */
  meterProvider?: TelemetryMeterProvider;
  /** Default: the global one of `@opentelemetry/api`. */
  tracerProvider?: TelemetryTracerProvider;
  /**
   * Put the account id on the mint and redeem spans as `enduser.id` (default `false`). Metrics
   * never carry it: one series per user would be unbounded.
   */
  includeAccountId?: boolean;
}

const SCOPE = 'oidc-session-transfer';
const SPAN_KIND = { internal: 0, client: 2 } as const;
const STATUS_ERROR = 2;
/** Seconds; OpenTelemetry's default boundaries are for milliseconds. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One mint or redeem being measured: its outcome is set as it becomes known. */
export interface Operation {
  /** Marks the operation failed for `reason` (the event's reason code). */
  fail(reason: string): void;
  /** Names the account on the span, when the host opted in. */
  account(accountId: string): void;
  /** The store, each call's duration an attribute of the operation's span. */
  readonly store: TransferStore;
}

/** What the mint, the redeem and the cascade call, and the store they use outside an operation. */
export interface Instrumentation {
  /** The store, its calls measured as children of the active span. */
  readonly store: TransferStore;
  /** Runs a mint or a redeem in its span, and records its duration. */
  operation<T>(kind: 'mint' | 'redeem', attributes: TelemetryAttributes, run: (operation: Operation) => Promise<T>): Promise<T>;
  /** Runs a cascade in its span. */
  cascade<T>(trigger: string, run: () => Promise<T>): Promise<T>;
}

/** Telemetry off (`telemetry: false`, or `@opentelemetry/api` not installed): the work runs bare, on `store` itself. */
export function noTelemetry(store: TransferStore): Instrumentation {
  const unrecorded: Operation = { fail: () => undefined, account: () => undefined, store };
  return {
    store,
    operation: (_kind, _attributes, run) => run(unrecorded),
    cascade: (_trigger, run) => run(),
  };
}

/** What `Telemetry` reports to, and the store it measures (`system`: `redis` for `RedisStore`). */
export interface TelemetryDependencies {
  meterProvider: TelemetryMeterProvider;
  tracerProvider: TelemetryTracerProvider;
  events: SessionTransferEmitter;
  includeAccountId: boolean;
  store: TransferStore;
  system: string | undefined;
}

type Counter = { add(value: number, attributes?: TelemetryAttributes): void };
type Histogram = { record(value: number, attributes?: TelemetryAttributes): void };

const SPAN_NAMES = { mint: 'session_transfer.mint', redeem: 'session_transfer.redeem' } as const;
const failureOf = (err: unknown) => (err instanceof Error ? err.name : 'Error');

/**
 * One mint or redeem: its span, on which each store call's duration is an attribute (the sum,
 * should one operation repeat a call), and its failure. One span and two metric records (its
 * duration, its event's counter) per operation: a child span and a histogram record per store
 * call doubled what the SDK spent on each.
 */
class MeasuredOperation implements Operation, StoreCallObserver {
  readonly store: TransferStore;
  readonly span: TelemetrySpan;
  readonly #includeAccountId: boolean;
  #stored: Record<string, number | string> | undefined;
  failure: string | undefined;

  constructor(span: TelemetrySpan, store: TransferStore, calls: StoreCalls, includeAccountId: boolean) {
    this.#includeAccountId = includeAccountId;
    this.span = span;
    this.store = instrumentedStore(store, calls, this);
  }

  fail(reason: string): void {
    this.failure = reason;
    this.span.setAttribute('error.type', reason);
    this.span.setStatus({ code: STATUS_ERROR, message: reason });
  }

  account(accountId: string): void {
    if (this.#includeAccountId) this.span.setAttribute('enduser.id', accountId);
  }

  succeeded({ durationKey }: StoreCall, start: number): void {
    const stored = (this.#stored ??= {});
    stored[durationKey] = ((stored[durationKey] as number | undefined) ?? 0) + (performance.now() - start) / 1000;
  }

  failed(call: StoreCall, start: number, err: unknown): void {
    this.succeeded(call, start);
    this.#stored![call.errorKey] = failureOf(err);
  }

  /** Ends the span, its store calls' attributes set at once. */
  end(): void {
    if (this.#stored) this.span.setAttributes(this.#stored);
    this.span.end();
  }
}

/**
 * Metrics and spans for the mint, the redeem, store round trips and cascades. Counters follow the
 * library's events, so what is counted is exactly what is reported; durations and spans wrap the
 * work. No attribute carries a token.
 */
export class Telemetry implements Instrumentation, StoreCallObserver {
  readonly store: TransferStore;
  readonly #includeAccountId: boolean;
  readonly #rawStore: TransferStore;
  readonly #calls: StoreCalls;
  readonly #tracer: TelemetryTracer;
  readonly #mintDuration: Histogram;
  readonly #redeemDuration: Histogram;

  constructor({ meterProvider, tracerProvider, events, includeAccountId, store, system }: TelemetryDependencies) {
    this.#rawStore = store;
    this.#calls = storeCalls(system);
    this.store = instrumentedStore(store, this.#calls, this);
    const meter = meterProvider.getMeter(SCOPE);
    this.#tracer = tracerProvider.getTracer(SCOPE);
    this.#includeAccountId = includeAccountId;
    const counter = ({ name, unit, description }: { name: string; unit: string; description: string }): Counter =>
      meter.createCounter(name, { unit, description });
    const histogram = ({ name, unit, description }: { name: string; unit: string; description: string }): Histogram =>
      meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.#mintDuration = histogram(INSTRUMENTS.mintDuration);
    this.#redeemDuration = histogram(INSTRUMENTS.redeemDuration);

    const issued = counter(INSTRUMENTS.issued);
    const issueFailures = counter(INSTRUMENTS.issueFailures);
    const redeemed = counter(INSTRUMENTS.redeemed);
    const rejected = counter(INSTRUMENTS.rejected);
    const ignored = counter(INSTRUMENTS.ignored);
    const sessionsRevoked = counter(INSTRUMENTS.sessionsRevoked);
    const cascades = counter(INSTRUMENTS.cascades);
    events.on('issued', (e) => issued.add(1, { 'session_transfer.client.id': e.clientId, 'session_transfer.form': e.form }));
    events.on('issue_failed', (e) => issueFailures.add(1, { 'session_transfer.client.id': e.clientId, 'error.type': e.reason }));
    events.on('redeemed', (e) => redeemed.add(1, {
      'session_transfer.client.id': e.clientId, 'session_transfer.transport': e.transport, 'session_transfer.outcome': e.outcome,
    }));
    events.on('rejected', (e) => rejected.add(1, {
      'session_transfer.client.id': e.clientId, 'session_transfer.transport': e.transport, 'error.type': e.reason,
      'session_transfer.log_only': e.logOnly === true,
    }));
    events.on('ignored', (e) => ignored.add(1, e.reason === 'audience_near_miss'
      ? { 'session_transfer.client.id': e.clientId ?? '', 'session_transfer.ignored.reason': e.reason }
      : { 'session_transfer.client.id': e.clientId, 'session_transfer.transport': e.transport, 'session_transfer.ignored.reason': e.reason }));
    events.on('session_revoked', (e) => sessionsRevoked.add(1, { 'session_transfer.revocation.reason': e.reason }));
    events.on('cascade_revoked', (e) => {
      cascades.add(1, { 'session_transfer.cascade.trigger': e.trigger, 'session_transfer.cascade.outcome': 'revoked' });
      if (e.sessions) sessionsRevoked.add(e.sessions, { 'session_transfer.revocation.reason': 'cascade' });
    });
    events.on('cascade_failed', (e) => cascades.add(1, { 'session_transfer.cascade.trigger': e.trigger, 'session_transfer.cascade.outcome': 'failed' }));
  }

  /**
   * Runs a mint or a redeem in its span, and records its duration. The span is not made the
   * active one (nothing the library starts within it is a span): activating it would put a
   * context on every promise the provider makes in the meantime.
   */
  async operation<T>(kind: 'mint' | 'redeem', attributes: TelemetryAttributes, run: (operation: Operation) => Promise<T>): Promise<T> {
    const operation = new MeasuredOperation(this.#tracer.startSpan(SPAN_NAMES[kind], { kind: SPAN_KIND.internal, attributes }), this.#rawStore, this.#calls, this.#includeAccountId);
    const start = performance.now();
    try {
      return await run(operation);
    } finally {
      (kind === 'mint' ? this.#mintDuration : this.#redeemDuration)
        .record((performance.now() - start) / 1000, operation.failure ? { ...attributes, 'error.type': operation.failure } : attributes);
      operation.end();
    }
  }

  /**
   * A store call outside a mint or a redeem (a session's upkeep, a cascade): its span, a child of
   * the active one, made once the call settled.
   */
  succeeded(call: StoreCall, start: number): void {
    this.#tracer.startSpan(call.spanName, { kind: SPAN_KIND.client, attributes: call.attributes, startTime: start }).end(performance.now());
  }

  failed(call: StoreCall, start: number, err: unknown): void {
    const end = performance.now();
    const span = this.#tracer.startSpan(call.spanName, { kind: SPAN_KIND.client, attributes: call.attributes, startTime: start });
    span.setAttribute('error.type', failureOf(err));
    span.setStatus({ code: STATUS_ERROR, message: err instanceof Error ? err.message : String(err) });
    span.end(end);
  }

  /** Runs a cascade in its span. */
  cascade<T>(trigger: string, run: () => Promise<T>): Promise<T> {
    return this.#tracer.startActiveSpan('session_transfer.cascade', { kind: SPAN_KIND.internal, attributes: { 'session_transfer.cascade.trigger': trigger } }, async (span) => {
      try {
        return await run();
      } catch (err) {
        span.setStatus({ code: STATUS_ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    });
  }
}

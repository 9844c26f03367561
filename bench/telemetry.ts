/**
 * With BENCH_TELEMETRY=1 or =sdk, registers OpenTelemetry's SDK as the global providers (=sdk:
 * and bench/server.ts turns the library's instrumentation off, `telemetry: false`). bench/server.ts
 * imports this module first: the library obtains its meter and tracer when `configure()` runs,
 * and a meter obtained before a provider is registered stays a no-op. The "instrumentation on"
 * rows then pay what a deployment pays: metrics recorded and collected every second, every span
 * sampled, propagated through async context, batched and exported. The exporters drop what they
 * are given, so no collector's cost is counted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { context, metrics, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Spans nest through AsyncLocalStorage, as with @opentelemetry/context-async-hooks'
 * AsyncLocalStorageContextManager (not a dependency of this repository); this is its core.
 */
class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const storage = this.#storage;
    return function bound(this: unknown, ...args: unknown[]) { return storage.run(ctx, () => target.apply(this, args)); } as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

/** An exporter that accepts everything and sends it nowhere. */
const discard = {
  export: (_data: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }),
  forceFlush: async () => {},
  shutdown: async () => {},
};

if (process.env.BENCH_TELEMETRY === '1' || process.env.BENCH_TELEMETRY === 'sdk') {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  metrics.setGlobalMeterProvider(new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: discard, exportIntervalMillis: 1000 })],
  }));
  trace.setGlobalTracerProvider(new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(discard)],
  }));
}

import type { SessionTransferEmitter } from '../events.js';
import type { ResolvedOptions } from '../options.js';
import type { TransferStore } from '../store/store.js';
import { globalProviders } from './api.js';
import { noTelemetry, Telemetry, type Instrumentation } from './telemetry.js';

/**
 * The library's telemetry over `store` (`system` names it in spans: `redis` for `RedisStore`):
 * the providers given, else the global ones, else none.
 */
export function createTelemetry(
  options: ResolvedOptions['telemetry'], events: SessionTransferEmitter, store: TransferStore, system: string | undefined,
): Instrumentation {
  if (options === false) return noTelemetry(store);
  const global = globalProviders();
  const meterProvider = options.meterProvider ?? global?.meterProvider;
  const tracerProvider = options.tracerProvider ?? global?.tracerProvider;
  if (!meterProvider || !tracerProvider) return noTelemetry(store);
  return new Telemetry({ meterProvider, tracerProvider, events, includeAccountId: options.includeAccountId, store, system });
}

import type { SessionTransferEmitter } from '../events.js';
import type { ResolvedOptions } from '../options.js';
import { globalProviders } from './api.js';
import { NO_TELEMETRY, Telemetry, type Instrumentation } from './telemetry.js';

/** The library's telemetry: the providers given, else the global ones, else none. */
export function createTelemetry(options: ResolvedOptions['telemetry'], events: SessionTransferEmitter): Instrumentation {
  if (options === false) return NO_TELEMETRY;
  const global = globalProviders();
  const meterProvider = options.meterProvider ?? global?.meterProvider;
  const tracerProvider = options.tracerProvider ?? global?.tracerProvider;
  if (!meterProvider || !tracerProvider) return NO_TELEMETRY;
  return new Telemetry(meterProvider, tracerProvider, events, options.includeAccountId);
}

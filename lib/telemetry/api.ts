/**
 * The parts of OpenTelemetry's API the library calls, stated structurally, so that the library's
 * types never require `@opentelemetry/api` (an optional peer dependency) to be installed. The
 * API's and the SDKs' `MeterProvider` and `TracerProvider` fit them.
 */
export type TelemetryAttributes = Record<string, string | number | boolean | undefined>;

/** What an instrument is created with: its description, unit and, for a histogram, its bucket boundaries. */
export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface TelemetryMeter {
  createCounter(name: string, options?: InstrumentOptions): { add(value: number, attributes?: TelemetryAttributes): void };
  createHistogram(name: string, options?: InstrumentOptions): { record(value: number, attributes?: TelemetryAttributes): void };
}

export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

export interface TelemetryTracer {
  startActiveSpan<F extends (span: TelemetrySpan) => unknown>(
    name: string, options: { kind?: number; attributes?: TelemetryAttributes }, fn: F,
  ): ReturnType<F>;
}

/** A `MeterProvider` of OpenTelemetry's API or SDK. */
export interface TelemetryMeterProvider {
  getMeter(name: string, version?: string): TelemetryMeter;
}

/** A `TracerProvider` of OpenTelemetry's API or SDK. */
export interface TelemetryTracerProvider {
  getTracer(name: string, version?: string): TelemetryTracer;
}

/** `@opentelemetry/api` when installed; loaded once, so that the library costs nothing without it. */
const api = await import('@opentelemetry/api').catch(() => undefined);

/**
 * The global providers, when `@opentelemetry/api` is installed: with no SDK registered they record
 * nothing. Read when the library is created, so an SDK is registered before `sessionTransfer()`.
 */
export function globalProviders(): { meterProvider: TelemetryMeterProvider; tracerProvider: TelemetryTracerProvider } | undefined {
  return api && { meterProvider: api.metrics.getMeterProvider(), tracerProvider: api.trace.getTracerProvider() };
}

import { createRequire } from 'node:module';

import type * as OpenTelemetryApi from '@opentelemetry/api';

/**
 * The parts of OpenTelemetry's API the library calls, stated structurally, so that the library's
 * types never require `@opentelemetry/api` (an optional peer dependency) to be installed. The
 * API's and the SDKs' `MeterProvider` and `TracerProvider` fit them.
 * @category Telemetry
 */
export type TelemetryAttributes = Record<string, string | number | boolean | undefined>;

/**
 * What an instrument is created with: its description, unit and, for a histogram, its bucket boundaries.
 * @category Telemetry
 */
export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** @category Telemetry */
export interface TelemetryMeter {
  createCounter(name: string, options?: InstrumentOptions): { add(value: number, attributes?: TelemetryAttributes): void };
  createHistogram(name: string, options?: InstrumentOptions): { record(value: number, attributes?: TelemetryAttributes): void };
}

/** @category Telemetry */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setAttributes(attributes: TelemetryAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  /** `endTime`: a `performance.now()` reading. */
  end(endTime?: number): void;
}

/** @category Telemetry */
export interface TelemetryTracer {
  /** A span whose parent is the active one; it does not become active itself. `startTime`: a `performance.now()` reading. */
  startSpan(name: string, options: { kind?: number; attributes?: TelemetryAttributes; startTime?: number }): TelemetrySpan;
  startActiveSpan<F extends (span: TelemetrySpan) => unknown>(
    name: string, options: { kind?: number; attributes?: TelemetryAttributes }, fn: F,
  ): ReturnType<F>;
}

/**
 * A `MeterProvider` of OpenTelemetry's API or SDK.
 * @category Telemetry
 */
export interface TelemetryMeterProvider {
  getMeter(name: string, version?: string): TelemetryMeter;
}

/**
 * A `TracerProvider` of OpenTelemetry's API or SDK.
 * @category Telemetry
 */
export interface TelemetryTracerProvider {
  getTracer(name: string, version?: string): TelemetryTracer;
}

/** `@opentelemetry/api`, when installed; loaded on first use (synchronously: no top-level await, so `require()` of the library keeps working). */
let api: typeof OpenTelemetryApi | null | undefined;

function loadApi(): typeof OpenTelemetryApi | undefined {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as typeof OpenTelemetryApi;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      api = null;
    }
  }
  return api ?? undefined;
}

/**
 * The global providers, when `@opentelemetry/api` is installed: with no SDK registered they record
 * nothing. Read when the library is created, so an SDK is registered before `sessionTransfer()`.
 * (The API keeps its globals on `globalThis`, so its CommonJS build sees an SDK registered
 * through its ES module build.)
 */
export function globalProviders(): { meterProvider: TelemetryMeterProvider; tracerProvider: TelemetryTracerProvider } | undefined {
  const loaded = loadApi();
  return loaded && { meterProvider: loaded.metrics.getMeterProvider(), tracerProvider: loaded.trace.getTracerProvider() };
}

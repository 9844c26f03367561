/**
 * Type-level checks of the telemetry option, run by `npm run typecheck`: OpenTelemetry's own
 * providers (API and SDK) fit the library's structural types, and the store wrapper lists every
 * store operation.
 */
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

import type { SessionTransferOptions, TransferStore } from '../../lib/index.js';
import type { STORE_OPERATIONS } from '../../lib/telemetry/instrumented-store.js';

export const fromApi: SessionTransferOptions['telemetry'] = { meterProvider: metrics.getMeterProvider(), tracerProvider: trace.getTracerProvider() };
export const fromSdk: SessionTransferOptions['telemetry'] = { meterProvider: new MeterProvider(), tracerProvider: new BasicTracerProvider() };

// Every operation of TransferStore is measured: a new one must be added to STORE_OPERATIONS.
type Unmeasured = Exclude<keyof TransferStore, (typeof STORE_OPERATIONS)[number]>;
export const everyOperation: [Unmeasured] extends [never] ? true : Unmeasured = true;
